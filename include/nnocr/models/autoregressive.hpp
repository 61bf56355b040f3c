// autoregressive.hpp — what the recognizers that write a line's text one
// token at a time have in common (the transformer recognizer,
// transformer_ocr.hpp, and the attention recognizer, attention_ocr.hpp):
// an encoder that turns a batch of line images into per-line memories, and
// a decoder that decode::greedy_decode / decode::beam_search drive step by
// step (decode/attention.hpp). pipeline::Recognizer and the trainer read
// with either through this interface.
//
// Vocabulary, for both: the charset's classes, with class 0 (the CTC
// blank's slot) as the end-of-text token, and an extra start token
// (id = classes) that is fed first and never predicted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../core/tensor.hpp"
#include "../decode/attention.hpp"
#include "../nn/module.hpp"

namespace nnocr::models {

class AutoregressiveRecognizer : public nn::Module, public decode::StepDecoder {
 public:
  // Line images are [N, 1, input_height(), W], W a multiple of frame_width().
  virtual index_t input_height() const = 0;
  virtual index_t frame_width() const = 0;
  // Eval-mode encoder output [S, N, d] for a batch (keeps nothing: safe on a
  // shared model); `frames` receives each line's frame count.
  virtual Tensor<float> encode(const Tensor<float>& images, const std::vector<index_t>& widths,
                               std::vector<index_t>* frames) const = 0;
  // Decoding settings (start and end tokens, max length) for the searches.
  virtual decode::AttentionDecodeConfig decode_config(index_t beam_width) const = 0;
};

// One line's memory out of a batch's [S, N, d]: its first `frames` frames,
// [frames, 1, d], which is what StepDecoder::start takes.
inline Tensor<float> line_memory(const Tensor<float>& memory, index_t n, index_t frames) {
  NNOCR_CHECK(memory.rank() == 3 && n >= 0 && n < memory.size(1) && frames >= 1 && frames <= memory.size(0),
              "line_memory: line ", n, " with ", frames, " frames out of a memory ", memory.shape().str());
  const index_t N = memory.size(1), d = memory.size(2);
  Tensor<float> m({frames, 1, d});
  for (index_t s = 0; s < frames; ++s)
    std::copy(memory.data() + (s * N + n) * d, memory.data() + (s * N + n + 1) * d, m.data() + s * d);
  return m;
}

// Token sequences for teacher forcing from a batch's concatenated targets
// (data::LineBatch layout): inputs [L, N] = start, text, then the end token
// as filler; outputs [L, N] = text, end, then ignore_index. L = the longest
// text + 1.
struct TeacherForcing {
  Tensor<std::int32_t> inputs, outputs;
};

inline TeacherForcing teacher_forcing(const Tensor<std::int32_t>& targets, const std::vector<index_t>& lengths,
                                      std::int32_t start_token, std::int32_t ignore_index = -100) {
  index_t longest = 0, total = 0;
  for (index_t l : lengths) longest = std::max(longest, l), total += l;
  NNOCR_CHECK(targets.numel() == total, "teacher_forcing: ", targets.numel(), " targets for lengths summing to ",
              total);
  const index_t L = longest + 1, N = static_cast<index_t>(lengths.size());
  TeacherForcing tf{Tensor<std::int32_t>({L, N}, 0), Tensor<std::int32_t>({L, N}, ignore_index)};
  index_t offset = 0;
  for (index_t n = 0; n < N; ++n) {
    const index_t len = lengths[static_cast<std::size_t>(n)];
    tf.inputs(0, n) = start_token;
    for (index_t i = 0; i < len; ++i) {
      tf.inputs(i + 1, n) = targets[offset + i];
      tf.outputs(i, n) = targets[offset + i];
    }
    tf.outputs(len, n) = 0;  // end of text
    offset += len;
  }
  return tf;
}

}  // namespace nnocr::models
