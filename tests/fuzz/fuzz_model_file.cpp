// fuzz_model_file.cpp — libFuzzer target: model files. The bytes are read
// as a safetensors file (io/safetensors.hpp: 8-byte length, JSON header,
// data buffer); every tensor is converted to float or integers; a recognizer
// file's metadata (architecture JSON and charset string) is parsed, and the
// whole file goes through load_recognizer (models/recognizer_file.hpp) for
// the CRNN, transformer and attention recognizers, the path `nnocr read
// --model` takes. An architecture may pass its config's
// checks with gigabytes of weights; the loader must refuse to build more
// than the file's tensors can hold.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nnocr/models/attention_ocr.hpp>
#include <nnocr/models/crnn.hpp>
#include <nnocr/models/transformer_ocr.hpp>

#include "fuzz_util.hpp"

namespace {

using namespace nnocr;

template <class Model, class Config>
void load(const io::Json& arch, const std::vector<std::uint8_t>& bytes) {
  if (!fuzz::accepts([&] { (void)Config::from_json(arch); })) return;
  const fuzz::MemFile file(bytes.data(), bytes.size());
  fuzz::accepts([&] {
    const auto loaded = models::load_recognizer<Model, Config>(file.path());
    fuzz::require(loaded.model != nullptr && loaded.charset.size() == loaded.model->config().classes);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  io::SafeTensorsLimits limits;
  limits.max_total_bytes = std::uint64_t{1} << 20;
  limits.max_header_bytes = std::uint64_t{1} << 20;
  const std::vector<std::uint8_t> bytes(data, data + size);
  io::SafeTensorsFile file;
  if (!fuzz::accepts([&] { file = io::parse_safetensors(bytes, "fuzz", limits); })) return 0;
  for (const io::SafeTensorEntry& e : file.entries()) {
    fuzz::accepts([&] { (void)file.to_float(e.name); });
    fuzz::accepts([&] { (void)file.to_int64(e.name); });
    fuzz::accepts([&] { (void)file.to_uint8(e.name); });
  }
  if (const std::string* cs = file.find_metadata("nnocr.charset"))
    fuzz::accepts([&] {
      const data::Charset charset = data::Charset::from_string(*cs);
      fuzz::require(data::Charset::from_string(charset.to_string()).to_string() == charset.to_string());
    });
  const std::string* arch_text = file.find_metadata("nnocr.architecture");
  io::Json arch;
  if (!arch_text || !fuzz::accepts([&] { arch = io::parse_json(*arch_text, "architecture"); })) return 0;
  std::string type;
  if (!fuzz::accepts([&] { type = models::recognizer_type(file, "fuzz"); })) return 0;
  if (type == "crnn") load<models::Crnn, models::CrnnConfig>(arch, bytes);
  if (type == "transformer") load<models::TransformerOcr, models::TransformerOcrConfig>(arch, bytes);
  if (type == "attention") load<models::AttentionOcr, models::AttentionOcrConfig>(arch, bytes);
  return 0;
}
