// recognizer_file.hpp — model files of the recognizers (CRNN, transformer):
// a safetensors file with the weights by name, the config as JSON in the
// "nnocr.architecture" metadata (its "type" says which model), the charset
// (one class per entry, data/charset.hpp) in "nnocr.charset", and whatever
// the caller adds (training notes). A training checkpoint (train/
// checkpoint.hpp) loads too: its tensors are under "model.".
#pragma once

#include <memory>
#include <string>

#include "../data/charset.hpp"
#include "../io/json.hpp"
#include "../io/model_file.hpp"

namespace nnocr::models {

template <class Model>
void save_recognizer(const std::string& path, Model& model, const data::Charset& charset, io::Metadata metadata,
                     const char* who) {
  NNOCR_CHECK(charset.size() == model.config().classes, who, ": the charset has ", charset.size(),
              " classes, the model ", model.config().classes);
  metadata.emplace_back("nnocr.architecture", io::to_json(model.config().to_json()));
  metadata.emplace_back("nnocr.charset", charset.to_string());
  io::save_module(path, model, metadata);
}

template <class Model>
struct RecognizerFile {
  std::unique_ptr<Model> model;
  data::Charset charset;
  io::Metadata metadata;
};

// The "type" of a model file's architecture ("crnn", "transformer").
inline std::string recognizer_type(const io::SafeTensorsFile& file, const std::string& path) {
  const std::string* arch = file.find_metadata("nnocr.architecture");
  NNOCR_CHECK(arch != nullptr, path, ": no 'nnocr.architecture' in the metadata (not an nnocr model file)");
  try {
    return io::parse_json(*arch, path + " architecture").at("type").as_string();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

inline std::string recognizer_type(const std::string& path) { return recognizer_type(io::load_safetensors(path), path); }

// Loads a model of type Model (config Config); the model comes back in eval
// mode. Errors name the file and the first problem (another architecture,
// charset size differs from the classes, tensor missing or of the wrong
// shape, ...).
template <class Model, class Config>
RecognizerFile<Model> load_recognizer(const std::string& path) {
  const io::SafeTensorsFile file = io::load_safetensors(path);
  const std::string* arch = file.find_metadata("nnocr.architecture");
  NNOCR_CHECK(arch != nullptr, path, ": no 'nnocr.architecture' in the metadata (not an nnocr model file)");
  const std::string* cs = file.find_metadata("nnocr.charset");
  NNOCR_CHECK(cs != nullptr, path, ": no 'nnocr.charset' in the metadata (not a recognizer model file)");
  RecognizerFile<Model> out;
  Config config;
  try {
    config = Config::from_json(io::parse_json(*arch, path + " architecture"));
    out.charset = data::Charset::from_string(*cs);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  NNOCR_CHECK(out.charset.size() == config.classes, path, ": the charset has ", out.charset.size(),
              " classes, the architecture ", config.classes);
  // The architecture is built before its weights are read: it may not ask
  // for more parameters than the file holds (2 bytes each at the least,
  // F16/BF16; plus 2^20 for what a layer allocates but does not save), so
  // that a small file cannot make the loader allocate gigabytes.
  std::size_t data_bytes = 0;
  for (const io::SafeTensorEntry& e : file.entries()) data_bytes += e.nbytes();
  Rng rng(0);
  try {
    const nn::ParameterBudget budget(static_cast<std::int64_t>(data_bytes / 2) + (std::int64_t{1} << 20));
    out.model = std::make_unique<Model>(config, rng);
  } catch (const Error& e) {
    throw Error(nnocr::detail::concat(path, ": the architecture needs more weights than the file's ", data_bytes,
                                      " bytes of tensors can hold (", e.what(), ")"));
  }
  io::LoadOptions options;
  if (file.find_metadata("nnocr.checkpoint.step")) {
    options.prefix = "model.";
    options.allow_unused = true;
  }
  io::load_module_tensors(file, *out.model, options);
  out.model->eval();
  out.metadata = file.metadata();
  return out;
}

}  // namespace nnocr::models
