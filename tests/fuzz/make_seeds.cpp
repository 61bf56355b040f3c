// make_seeds.cpp — writes the seed files that need nnocr itself: tiny
// recognizer model files (CRNN, transformer, attention), a safetensors file with
// every dtype, and character LM files. Built and run by make_corpus.py:
//   make_seeds OUT_DIR
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nnocr/decode/char_lm.hpp>
#include <nnocr/models/attention_ocr.hpp>
#include <nnocr/models/crnn.hpp>
#include <nnocr/models/transformer_ocr.hpp>

int main(int argc, char** argv) {
  using namespace nnocr;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  const data::Charset charset = data::Charset::from_list({"a", "\xEF\xAC\x81"});  // "a" and the ligature "fi"
  Rng rng(1);

  models::CrnnConfig crnn;
  crnn.height = 8;
  crnn.stages = {{2, 1, 2, 2}};
  crnn.hidden = 2;
  crnn.layers = 1;
  crnn.classes = charset.size();
  models::Crnn crnn_model(crnn, rng);
  models::save_crnn(out + "/model_file/crnn.safetensors", crnn_model, charset, {{"note", "seed"}});

  models::TransformerOcrConfig tr;
  tr.height = 4;
  tr.stages = {{2, 1, 2, 2}};
  tr.d_model = 4;
  tr.heads = 2;
  tr.feedforward = 4;
  tr.encoder_layers = 1;
  tr.decoder_layers = 1;
  tr.max_length = 4;
  tr.classes = charset.size();
  models::TransformerOcr tr_model(tr, rng);
  models::save_transformer_ocr(out + "/model_file/transformer.safetensors", tr_model, charset);

  models::AttentionOcrConfig att;
  att.height = 4;
  att.stages = {{2, 1, 2, 2}};
  att.encoder_hidden = 2;
  att.attention = 2;
  att.embedding = 2;
  att.decoder_hidden = 2;
  att.max_length = 4;
  att.classes = charset.size();
  models::AttentionOcr att_model(att, rng);
  models::save_attention_ocr(out + "/model_file/attention.safetensors", att_model, charset);

  io::SafeTensorsWriter w;
  w.set_metadata("format", "pt");
  const std::uint8_t bytes[16] = {0, 0x3c, 0, 0xc0, 0x80, 0x3f, 0xff, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0};
  w.add_raw("f16", io::DType::F16, {2}, bytes, 4);
  w.add_raw("bf16", io::DType::BF16, {1, 2}, bytes + 4, 4);
  w.add_raw("i64", io::DType::I64, {1}, bytes + 8, 8);
  w.add_raw("u8", io::DType::U8, {2, 1}, bytes, 2);
  w.add_raw("bool", io::DType::BOOL, {1}, bytes + 8, 1);
  w.add_raw("empty", io::DType::F32, {0, 3}, bytes, 0);
  w.add_raw("f64", io::DType::F64, {1}, bytes + 8, 8);
  w.save(out + "/model_file/dtypes.safetensors");

  decode::CharLm::train("the cat\nthe car\n", 3).save(out + "/char_lm/order3.lm");
  decode::CharLm::train("ab\xC3\xA9\n", 1).save(out + "/char_lm/order1.lm");
  return 0;
}
