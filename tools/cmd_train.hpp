// cmd_train.hpp — `nnocr train`: train a CRNN recognizer (part of tools/nnocr.cpp).
#pragma once

#include <nnocr/io/json.hpp>

#include <nnocr/core/memory.hpp>
#include <nnocr/pipeline/train_crnn.hpp>

#include "cli_common.hpp"

namespace nnocr::cli {

inline const char* train_usage() {
  return "nnocr train --out MODEL [--checkpoint FILE] [--curve FILE] [--steps N] [--stop-after N]\n"
         "            [--data DIR] [--init-from MODEL] [--charset FILE] [--config FILE] [options]\n"
         "  Trains a CRNN (conv stack -> BiLSTM -> CTC) on synthetic lines rendered from the\n"
         "  system's fonts (fonts of the held-out designs only validate), or on a ground-truth\n"
         "  folder (NAME.png + NAME.gt.txt) with --data. Progress on stderr; every --eval-every\n"
         "  steps the model reads held-out-font lines (clean and degraded), appends a row to\n"
         "  the curve file and writes MODEL. With --checkpoint, training resumes from that\n"
         "  file when it exists (same command again), and it is rewritten atomically every\n"
         "  --checkpoint-every steps. Batch b depends only on the seed and b.\n"
         "  --out MODEL          the model file to write (safetensors with config + charset)\n"
         "  --checkpoint FILE    resume from / save to this file\n"
         "  --curve FILE         append step,seconds,loss,lr,clean_cer,degraded_cer rows (CSV)\n"
         "  --steps N            length of the schedule (default 100000)\n"
         "  --stop-after N       stop this run after N steps (resume later with the same command)\n"
         "  --batch N            lines per batch (default 32)\n"
         "  --lr X               peak learning rate, AdamW (default 0.001); --warmup N (default 1000)\n"
         "  --weight-decay X     (default 0.0001)\n"
         "  --eval-every N       (default 1000); --checkpoint-every N (default 250)\n"
         "  --val-lines N        validation lines per set (default 200)\n"
         "  --data DIR           train on a ground-truth folder instead of synthetic lines\n"
         "  --init-from MODEL    start from a model's weights (fine-tuning); with a larger\n"
         "                       charset, its characters keep their weights, new ones start fresh\n"
         "  --charset FILE       the characters to learn (UTF-8 text; every distinct character\n"
         "                       in it, in order of first appearance); default printable ASCII\n"
         "                       plus common typographic characters. With --init-from, the\n"
         "                       model's charset extended by the file's new characters.\n"
         "  --arch JSON          model config, e.g. '{\"hidden\": 96}' for the CRNN (keys: height, stages,\n"
         "                       hidden, layers, dropout; models/crnn.hpp) or '{\"type\": \"transformer\"}'\n"
         "                       for the transformer recognizer (keys: height, stages, d_model, heads,\n"
         "                       feedforward, encoder_layers, decoder_layers, dropout, max_length;\n"
         "                       models/transformer_ocr.hpp) or '{\"type\": \"attention\"}' for the\n"
         "                       attention recognizer (keys: height, stages, encoder_hidden, attention,\n"
         "                       embedding, decoder_hidden, dropout, max_length; models/attention_ocr.hpp)\n"
         "  --seed S             data and initialisation seed (default 1)\n"
         "  --max-chars N        longest synthetic line (default 48)\n"
         "  --corpus FILE        sentences for synthetic lines (default data/corpus/en.txt)\n"
         "  --font-dirs A,B      font folders to search\n"
         "  --loader-workers N   threads rendering lines ahead of training (default 1)\n"
         "  --config FILE        a JSON object of these options without the dashes, e.g.\n"
         "                       {\"steps\": 50000, \"lr\": 0.001}; flags given on the command line win\n"
         "  --quiet              no progress output\n";
}

inline ArgSpec train_spec() {
  return {{"--out", "--checkpoint", "--curve", "--steps", "--stop-after", "--batch", "--lr", "--warmup",
           "--weight-decay", "--eval-every", "--checkpoint-every", "--val-lines", "--data", "--init-from", "--charset",
           "--arch", "--seed", "--max-chars", "--corpus", "--font-dirs", "--loader-workers", "--config", "--threads",
           "--isa"},
          {"--help", "--quiet"}};
}

// Adds the options of a JSON config file that the command line did not set.
inline Args merge_config_file(Args args, const ArgSpec& spec) {
  if (!args.has("--config")) return args;
  const std::string path = args.get("--config");
  const std::vector<std::uint8_t> bytes = read_file(path);
  const io::Json j = io::parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
  NNOCR_CHECK(j.is_object(), path, ": expected a JSON object of options");
  for (const auto& [key, value] : j.as_object()) {
    const std::string flag = "--" + key;
    NNOCR_CHECK(flag != "--config", path, ": a config file cannot name another config file");
    if (spec.boolean.count(flag)) {
      NNOCR_CHECK(value.is_bool(), path, ": option '", key, "' takes true or false");
      if (value.as_bool() && !args.has(flag)) args.flags.insert(flag);
      continue;
    }
    NNOCR_CHECK(spec.valued.count(flag), path, ": unknown option '", key, "'");
    if (args.has(flag)) continue;
    args.values[flag] = value.is_string() ? value.as_string() : io::to_json(value);
  }
  return args;
}

inline int run_train(const Args& raw) {
  const Args args = merge_config_file(raw, train_spec());
  apply_common(args);
  // Training batches (32 lines) need activation buffers above the 32 MiB
  // mmap threshold limit: keep every block in the heap, reused step after
  // step, instead of mapping (and page-faulting) it anew each time.
  keep_freed_memory(256 << 20);
  NNOCR_CHECK(args.has("--out"), "train: --out MODEL is required (see --help)");
  pipeline::CrnnTrainConfig c;
  c.output = args.get("--out");
  c.checkpoint = args.get("--checkpoint");
  c.curve = args.get("--curve");
  c.steps = parse_integer(args.get("--steps", "100000"), "--steps", 1, 1LL << 40);
  c.stop_after = parse_integer(args.get("--stop-after", "0"), "--stop-after", 0, 1LL << 40);
  c.batch = parse_integer(args.get("--batch", "32"), "--batch", 1, 4096);
  c.lr = static_cast<float>(parse_real(args.get("--lr", "0.001"), "--lr", 0, 10));
  c.min_lr = c.lr * 0.01f;
  c.warmup = parse_integer(args.get("--warmup", "1000"), "--warmup", 0, 1LL << 40);
  c.weight_decay = static_cast<float>(parse_real(args.get("--weight-decay", "0.0001"), "--weight-decay", 0, 10));
  c.eval_every = parse_integer(args.get("--eval-every", "1000"), "--eval-every", 1, 1LL << 40);
  c.checkpoint_every = parse_integer(args.get("--checkpoint-every", "250"), "--checkpoint-every", 1, 1LL << 40);
  c.validation_lines = static_cast<int>(parse_integer(args.get("--val-lines", "200"), "--val-lines", 0, 1000000));
  c.data_dir = args.get("--data");
  c.init_from = args.get("--init-from");
  c.seed = static_cast<std::uint64_t>(parse_integer(args.get("--seed", "1"), "--seed", 0, 0x7FFFFFFFFFFFFFFFLL));
  c.loader_workers = static_cast<int>(parse_integer(args.get("--loader-workers", "1"), "--loader-workers", 0, 64));
  c.progress = !args.has("--quiet");
  if (args.has("--arch")) {
    const io::Json over = io::parse_json(args.get("--arch"), "--arch");
    NNOCR_CHECK(over.is_object(), "--arch: expected a JSON object");
    if (over.contains("type")) c.architecture = over.at("type").as_string();
    NNOCR_CHECK(c.architecture == "crnn" || c.is_transformer() || c.is_attention(), "--arch: type '",
                c.architecture, "' is not crnn, transformer or attention");
    io::Json arch = c.architecture_json();
    for (const auto& [key, value] : over.as_object()) {
      if (key == "type") continue;
      NNOCR_CHECK(arch.contains(key) && key != "classes", "--arch: unknown key '", key, "' for ", c.architecture);
      arch.set(key, value);
    }
    arch.set("classes", static_cast<index_t>(2));
    c.set_architecture(arch);
  }

  // Charset: the model's (fine-tuning) or the default, extended by --charset.
  if (!c.init_from.empty()) c.charset = models::load_crnn(c.init_from).charset;
  if (args.has("--charset")) {
    const std::vector<std::uint8_t> bytes = read_file(args.get("--charset"));
    std::string text(bytes.begin(), bytes.end());
    std::string chars;
    for (char32_t cp : data::decode_utf8(text, args.get("--charset")))
      if (!data::detail::is_control_code_point(cp)) data::append_utf8(chars, cp);
    const data::Charset wanted = data::Charset::from_texts({chars});
    if (c.init_from.empty()) c.charset = wanted;
    else c.charset.extend(wanted);
  }

  const FontChoice fonts = choose_fonts(args, "train");
  c.validation_fonts = data::font_paths(fonts.split.holdout);
  c.synth.fonts = data::font_paths(fonts.split.train);
  c.synth.seed = c.seed;
  c.synth.max_chars = static_cast<int>(parse_integer(args.get("--max-chars", "48"), "--max-chars", 1, 1000));
  c.synth.target_height = static_cast<int>(c.height());
  const std::string corpus_path = args.get("--corpus", data::find_default_corpus());
  if (!corpus_path.empty()) c.corpus = data::load_corpus(corpus_path);
  else std::fprintf(stderr, "nnocr train: no corpus found; synthetic lines use generated text only\n");
  if (c.data_dir.empty())
    NNOCR_CHECK(!c.synth.fonts.empty(), "train: no training fonts found in ", fonts.dirs.size(),
                " font folders; install e.g. fonts-dejavu-core fonts-liberation, or give --data DIR");
  if (c.progress)
    std::fprintf(stderr, "nnocr train: %s, %zu training fonts, %zu validation fonts, charset of %d characters, %d threads\n",
                 c.data_dir.empty() ? "synthetic lines" : ("ground truth in " + c.data_dir).c_str(),
                 c.synth.fonts.size(), c.validation_fonts.size(), c.charset.num_characters(), num_threads());
  const pipeline::CrnnTrainResult r = pipeline::train_crnn(c);
  std::printf("nnocr train: %lld steps done; held-out CER clean %.2f%%, degraded %.2f%%; model %s\n",
              static_cast<long long>(r.steps_done), 100 * r.clean_cer, 100 * r.degraded_cer, c.output.c_str());
  return 0;
}

}  // namespace nnocr::cli
