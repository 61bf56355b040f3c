// fuzz_gt_text.cpp — libFuzzer target: ground-truth texts and the UTF-8 and
// charset code under them. The bytes are read as a NAME.gt.txt file
// (data/gt_dataset.hpp: BOM, strict UTF-8, one line), decoded to code points
// (data/utf8.hpp) and encoded to class ids (data/charset.hpp) with a charset
// built from the text, with one built from its space-separated words
// (multi-code-point entries, longest match), with the default charset, and
// with a charset parsed from the bytes as model-file metadata. Accepted
// input must round-trip: UTF-8 -> code points -> UTF-8, text -> ids -> text,
// charset -> string -> charset.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nnocr/data/charset.hpp>
#include <nnocr/data/gt_dataset.hpp>
#include <nnocr/data/utf8.hpp>

#include "fuzz_util.hpp"

namespace {

using namespace nnocr;

void check_charset(const data::Charset& charset, const std::string& text, bool round_trip = true) {
  if (round_trip) {
    const std::string saved = charset.to_string();
    fuzz::require(saved.find_first_of("\r\n") == std::string::npos);
    fuzz::require(data::Charset::from_string(saved).to_string() == saved);
  }
  std::vector<std::int32_t> ids;
  if (fuzz::accepts([&] { ids = charset.encode(text); })) fuzz::require(charset.decode(ids) == text);
  std::int64_t skipped = 0;
  ids = charset.encode(text, data::UnknownPolicy::skip, &skipped);
  fuzz::require(skipped >= 0 && ids.size() <= text.size());
  (void)charset.unknown_characters({text}).str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);

  // The bytes as a charset string from a model file's metadata.
  data::Charset parsed;
  if (fuzz::accepts([&] { parsed = data::Charset::from_string(bytes); }))
    fuzz::require(data::Charset::from_string(parsed.to_string()).to_string() == parsed.to_string());

  // The bytes as a ground-truth text file.
  const fuzz::MemFile file(data, size);
  data::detail::GtText gt;
  if (!fuzz::accepts([&] { gt = data::detail::read_gt_text(file.path(), std::int64_t{1} << 20); })) {
    std::size_t bad = 0;
    fuzz::require(!data::is_valid_utf8(bytes.substr(bytes.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0), &bad));
    return 0;
  }
  const std::string& text = gt.text;
  fuzz::require(data::is_valid_utf8(text));
  const std::vector<char32_t> cps = data::decode_utf8(text, "text");
  fuzz::require(data::encode_utf8(cps) == text);
  for (char32_t cp : cps) fuzz::require(data::is_scalar_value(cp));

  check_charset(data::Charset::from_texts({text}), text);
  static const data::Charset default_charset = data::Charset::printable_ascii_plus_typographic();
  check_charset(default_charset, text, false);
  if (parsed.size() > 1) check_charset(parsed, text);
  std::vector<std::string> words;
  for (std::size_t pos = 0; pos <= text.size();) {
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos) words.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  data::Charset from_words;
  if (fuzz::accepts([&] { from_words = data::Charset::from_list(words); })) check_charset(from_words, text);
  return 0;
}
