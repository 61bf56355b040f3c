// checkpoint.hpp — save and resume a training run.
//
// One safetensors file holds everything a run needs to continue exactly
// where it stopped: the model's parameters and buffers ("model.<name>"),
// the optimizer's state ("optim.<name>.<slot>"), and in the metadata the
// step to resume at, the optimizer's kind, step count and learning rate,
// plus whatever the caller adds (its configuration, data seed, ...). The
// file is written to a temporary name, flushed and renamed, so a crash or a
// kill during the save leaves the previous checkpoint intact. Data order
// must be a function of (seed, step) for a resumed run to see the same
// batches as an uninterrupted one; nnocr's data sources are.
#pragma once

#include <cstdint>
#include <string>

#include "../io/model_file.hpp"
#include "optim.hpp"

namespace nnocr::train {

struct CheckpointInfo {
  std::int64_t step = 0;   // the step to run next
  io::Metadata metadata;   // the caller's entries (keys without the "nnocr.checkpoint." prefix)
};

inline void save_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer,
                            const CheckpointInfo& info) {
  io::SafeTensorsWriter writer;
  writer.set_metadata("nnocr.checkpoint.step", std::to_string(info.step));
  writer.set_metadata("nnocr.checkpoint.model", model.kind());
  if (optimizer) {
    writer.set_metadata("nnocr.checkpoint.optimizer", optimizer->kind());
    writer.set_metadata("nnocr.checkpoint.optimizer_steps", std::to_string(optimizer->steps()));
    writer.set_metadata("nnocr.checkpoint.lr", io::detail::json_double_text(optimizer->lr()));
  }
  for (const auto& [k, v] : info.metadata) writer.set_metadata(k, v);
  io::add_module_tensors(writer, model, "model.");
  if (optimizer)
    for (auto& [name, t] : optimizer->state()) writer.add("optim." + name, t->view());
  writer.save(path);
}

namespace detail {

inline std::int64_t metadata_int(const io::SafeTensorsFile& file, const std::string& key) {
  const std::string* v = file.find_metadata(key);
  NNOCR_CHECK(v != nullptr, file.where(), ": not an nnocr checkpoint (no '", key, "' in the metadata)");
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  NNOCR_CHECK(used == v->size() && value >= 0, file.where(), ": metadata '", key, "' = '", *v,
              "' is not a non-negative integer");
  return value;
}

}  // namespace detail

// Restores model and optimizer state; returns the step to resume at and the
// file's metadata. The optimizer must be of the kind that saved it.
inline CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer) {
  const io::SafeTensorsFile file = io::load_safetensors(path);
  CheckpointInfo info;
  info.step = detail::metadata_int(file, "nnocr.checkpoint.step");
  info.metadata = file.metadata();
  io::LoadOptions options;
  options.prefix = "model.";
  options.allow_unused = true;  // the optimizer's tensors share the file
  io::load_module_tensors(file, model, options);
  if (optimizer) {
    const std::string* kind = file.find_metadata("nnocr.checkpoint.optimizer");
    NNOCR_CHECK(kind != nullptr, path, ": the checkpoint has no optimizer state");
    NNOCR_CHECK(*kind == optimizer->kind(), path, ": the checkpoint's optimizer is ", *kind, ", not ",
                optimizer->kind());
    for (auto& [name, t] : optimizer->state()) {
      file.expect("optim." + name, t->shape());
      *t = file.to_float("optim." + name);
    }
    optimizer->set_steps(detail::metadata_int(file, "nnocr.checkpoint.optimizer_steps"));
  }
  return info;
}

}  // namespace nnocr::train
