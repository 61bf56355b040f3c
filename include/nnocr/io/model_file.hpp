// model_file.hpp — a module's weights in a safetensors file, and back.
//
// Parameters and buffers are stored under their dotted names (the names
// PyTorch's state_dict uses for the same architecture), as F32 unless asked
// otherwise; the metadata carries what is needed to rebuild the model (the
// models/ layer writes "nnocr.architecture" as JSON, "nnocr.charset", ...).
// Loading checks, and names in its error, the first of: a tensor the module
// needs that the file lacks, a shape that differs from the architecture's,
// a non-finite value, a tensor in the file that the module does not have
// (unless allowed, e.g. for partial fine-tuning).
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../nn/module.hpp"
#include "safetensors.hpp"

namespace nnocr::io {

using Metadata = std::vector<std::pair<std::string, std::string>>;

// Adds the module's parameters and buffers to `writer` with `prefix`.
inline void add_module_tensors(SafeTensorsWriter& writer, nn::Module& module, const std::string& prefix = "",
                               DType stored_as = DType::F32) {
  for (auto& [name, p] : module.named_parameters()) writer.add(prefix + name, p->value.view(), stored_as);
  for (auto& [name, b] : module.named_buffers()) writer.add(prefix + name, b->view(), DType::F32);
}

// Writes the module's weights and `metadata` to `path` (atomically).
inline void save_module(const std::string& path, nn::Module& module, const Metadata& metadata = {},
                        DType stored_as = DType::F32) {
  SafeTensorsWriter writer;
  for (const auto& [k, v] : metadata) writer.set_metadata(k, v);
  add_module_tensors(writer, module, "", stored_as);
  writer.save(path);
}

struct LoadOptions {
  std::string prefix;               // names in the file start with this
  bool allow_unused = false;        // tensors in the file that the module lacks
  bool allow_missing = false;       // module tensors the file lacks (left as they are)
  std::vector<std::string> skip;    // module tensor names not to load (e.g. a resized output layer)
};

namespace detail {

inline void load_tensor(const SafeTensorsFile& file, const std::string& name, Tensor<float>& dst) {
  file.expect(name, dst.shape());
  Tensor<float> t = file.to_float(name);
  for (index_t i = 0; i < t.numel(); ++i)
    NNOCR_CHECK(std::isfinite(t[i]), file.where(), ": tensor '", name, "' has a non-finite value (", t[i],
                ") at element ", i);
  dst = std::move(t);
}

}  // namespace detail

// Loads the module's parameters and buffers from an opened file; returns
// the number of tensors loaded.
inline index_t load_module_tensors(const SafeTensorsFile& file, nn::Module& module, const LoadOptions& options = {}) {
  std::vector<std::pair<std::string, Tensor<float>*>> wanted;
  for (auto& [name, p] : module.named_parameters()) wanted.emplace_back(name, &p->value);
  for (auto& [name, b] : module.named_buffers()) wanted.emplace_back(name, b);
  auto skipped = [&](const std::string& name) {
    for (const auto& s : options.skip)
      if (s == name) return true;
    return false;
  };
  index_t loaded = 0;
  for (auto& [name, dst] : wanted) {
    if (skipped(name)) continue;
    const std::string key = options.prefix + name;
    if (!file.has(key)) {
      NNOCR_CHECK(options.allow_missing, file.where(), ": no tensor '", key, "' (the ", module.kind(),
                  " architecture needs it, shape ", dst->shape().str(), ")");
      continue;
    }
    detail::load_tensor(file, key, *dst);
    ++loaded;
  }
  if (!options.allow_unused) {
    for (const SafeTensorEntry& e : file.entries()) {
      if (e.name.compare(0, options.prefix.size(), options.prefix) != 0) continue;
      const std::string local = e.name.substr(options.prefix.size());
      bool known = false;
      for (auto& w : wanted) known = known || w.first == local;
      NNOCR_CHECK(known, file.where(), ": tensor '", e.name, "' does not belong to the ", module.kind(),
                  " architecture");
    }
  }
  return loaded;
}

}  // namespace nnocr::io
