// module.hpp — the module tree: parameters, buffers, children, modes.
//
// A Module owns named Parameters (a value and its gradient, both float
// tensors of the same shape), named buffers (state that is saved but not
// trained, like BatchNorm's running statistics) and named child modules.
// Names join with dots, as in PyTorch's state_dict: a Sequential whose
// second child is a Conv2d names that weight "1.weight"; a user module with a
// member registered as "encoder" names its children "encoder.0.weight". The
// same names key the model file (io/safetensors.hpp), so weights move
// between nnocr and PyTorch by name.
//
// A Layer is a Module with one tensor in and one tensor out:
//   forward(x)      runs in the current mode (train: batch statistics,
//                   dropout on) and keeps what backward needs;
//   backward(dy)    given dL/dy for the last forward, adds dL/dparam into
//                   each parameter's grad and returns dL/dx;
//   infer(x) const  eval-mode forward that keeps nothing: safe to call from
//                   several threads on one shared model.
// Gradients accumulate (+=) until zero_grad(), so a parameter used twice, or
// a batch split into micro-batches, sums its contributions as it should.
//
// Modules refer to their members by address, so they are neither copyable
// nor movable; build them in place (members, std::unique_ptr, or a
// Sequential, which owns its children).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/tensor.hpp"

namespace nnocr::nn {

// Height and width of a kernel, stride, padding or dilation; a single number
// means the same for both.
struct Size2 {
  index_t h = 1, w = 1;
  Size2() = default;
  Size2(index_t both) : h(both), w(both) {}  // NOLINT: implicit on purpose
  Size2(index_t height, index_t width) : h(height), w(width) {}
  std::string str() const { return h == w ? std::to_string(h) : std::to_string(h) + "x" + std::to_string(w); }
};

namespace detail {

// Parameter elements that modules built on this thread may still allocate;
// negative: no limit. Set by ParameterBudget.
inline std::int64_t& parameter_budget() {
  static thread_local std::int64_t left = -1;
  return left;
}

}  // namespace detail

// While alive, caps the parameter elements that modules built on this
// thread may allocate (Parameter::reset throws nnocr::Error past it, before
// allocating). A model file's metadata describes the architecture, which is
// built before its weights are read: the loader sets a budget from the
// file's size, so a file of a few kilobytes cannot ask for gigabytes. The
// previous budget comes back when this one ends.
class ParameterBudget {
 public:
  explicit ParameterBudget(std::int64_t elements) : saved_(detail::parameter_budget()) {
    detail::parameter_budget() = elements < 0 ? 0 : elements;
  }
  ParameterBudget(const ParameterBudget&) = delete;
  ParameterBudget& operator=(const ParameterBudget&) = delete;
  ~ParameterBudget() { detail::parameter_budget() = saved_; }

 private:
  std::int64_t saved_;
};

// A trained tensor and its gradient. `decay` says whether weight decay
// applies (weights yes; biases and normalisation scales usually not).
struct Parameter {
  Tensor<float> value;
  Tensor<float> grad;
  bool decay = true;

  void reset(const Shape& shape, bool weight_decay = true) {
    std::int64_t& budget = detail::parameter_budget();
    if (budget >= 0) {
      const auto n = static_cast<std::int64_t>(shape.numel());
      NNOCR_CHECK(n <= budget, "a parameter of shape ", shape.str(), " is over the budget of ", budget,
                  " more elements (nn::ParameterBudget)");
      budget -= n;
    }
    value = Tensor<float>(shape, 0.0f);
    grad = Tensor<float>(shape, 0.0f);
    decay = weight_decay;
  }
  index_t numel() const { return value.numel(); }
};

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // The layer kind as the model file names it ("Conv2d", "Sequential").
  virtual std::string kind() const = 0;
  // One line with the hyper-parameters, e.g. "Conv2d(1, 32, kernel=3x3)".
  virtual std::string describe() const { return kind(); }

  // Parameters and buffers of this module and all its descendants, in
  // registration order, with dotted names.
  std::vector<std::pair<std::string, Parameter*>> named_parameters() {
    std::vector<std::pair<std::string, Parameter*>> out;
    visit("", [&](const std::string& prefix, Module& m) {
      for (auto& [name, p] : m.params_) out.emplace_back(prefix + name, p);
    });
    return out;
  }
  std::vector<std::pair<std::string, const Parameter*>> named_parameters() const {
    std::vector<std::pair<std::string, const Parameter*>> out;
    for (auto& [name, p] : const_cast<Module*>(this)->named_parameters()) out.emplace_back(name, p);
    return out;
  }
  std::vector<std::pair<std::string, Tensor<float>*>> named_buffers() {
    std::vector<std::pair<std::string, Tensor<float>*>> out;
    visit("", [&](const std::string& prefix, Module& m) {
      for (auto& [name, b] : m.buffers_) out.emplace_back(prefix + name, b);
    });
    return out;
  }
  std::vector<Parameter*> parameters() {
    std::vector<Parameter*> out;
    for (auto& np : named_parameters()) out.push_back(np.second);
    return out;
  }

  // Number of trained scalars (what papers quote as "parameters").
  index_t parameter_count() const {
    index_t n = 0;
    for (auto& np : named_parameters()) n += np.second->numel();
    return n;
  }

  void zero_grad() {
    for (Parameter* p : parameters()) p->grad.fill(0.0f);
  }

  // Training mode: batch statistics in normalisation layers, dropout on.
  void train(bool on = true) {
    visit("", [&](const std::string&, Module& m) {
      m.training_ = on;
      m.on_mode_change();
    });
  }
  void eval() { train(false); }
  bool training() const { return training_; }

  // Restarts the random stream of every module that draws while training
  // (dropout masks) from `seed` and the module's dotted name. A training
  // loop calls it before each step with a seed made from (run seed, step),
  // so that step s draws the same masks whether or not the run was resumed
  // from a checkpoint.
  void reseed_streams(std::uint64_t seed) {
    visit("", [&](const std::string& prefix, Module& m) {
      std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the name: each module its own stream
      for (const char c : prefix) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
      m.on_reseed(seed ^ h);
    });
  }

  // Children in registration order, with their local names.
  const std::vector<std::pair<std::string, Module*>>& children() const { return children_; }

  // An indented tree of describe() lines with parameter counts.
  std::string summary() const {
    std::string out;
    summarize(out, "", 0);
    return out;
  }

 protected:
  Parameter& register_parameter(const std::string& name, Parameter& p) {
    check_name(name);
    params_.emplace_back(name, &p);
    return p;
  }
  Tensor<float>& register_buffer(const std::string& name, Tensor<float>& t) {
    check_name(name);
    buffers_.emplace_back(name, &t);
    return t;
  }
  template <class M>
  M& register_module(const std::string& name, M& m) {
    check_name(name);
    m.training_ = training_;
    children_.emplace_back(name, &m);
    return m;
  }
  // Called after the mode changes (e.g. to drop cached activations).
  virtual void on_mode_change() {}
  // Called by reseed_streams: a module with a random stream restarts it
  // from `seed`.
  virtual void on_reseed(std::uint64_t seed) { (void)seed; }

 private:
  template <class F>
  void visit(const std::string& prefix, F&& f) {
    f(prefix, *this);
    for (auto& [name, child] : children_) child->visit(prefix + name + ".", f);
  }
  void check_name(const std::string& name) const {
    NNOCR_CHECK(!name.empty() && name.find('.') == std::string::npos, kind(), ": invalid member name '", name,
                "' (non-empty, no dots)");
    auto taken = [&](const auto& list) {
      for (auto& entry : list)
        if (entry.first == name) return true;
      return false;
    };
    NNOCR_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), kind(), ": member name '", name,
                "' registered twice");
  }
  void summarize(std::string& out, const std::string& name, int depth) const {
    index_t own = 0;
    for (auto& np : named_parameters()) own += np.second->numel();
    out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + (name.empty() ? "" : name + ": ") + describe() +
           "  [" + std::to_string(own) + " parameters]\n";
    for (auto& [child_name, child] : children_) child->summarize(out, child_name, depth + 1);
  }

  std::vector<std::pair<std::string, Parameter*>> params_;
  std::vector<std::pair<std::string, Tensor<float>*>> buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

// One tensor in, one tensor out; see the file comment for the contract.
class Layer : public Module {
 public:
  virtual Tensor<float> forward(const Tensor<float>& x) = 0;
  virtual Tensor<float> backward(const Tensor<float>& grad_y) = 0;
  virtual Tensor<float> infer(const Tensor<float>& x) const = 0;

  // Whether backward must return the gradient with respect to the input
  // (default: yes). The first layer of a network that reads images needs
  // none, as PyTorch computes none for an input without requires_grad; a
  // layer for which that gradient is work of its own (Conv2d: a GEMM and a
  // col2im) then skips it and returns an empty tensor. Parameter gradients
  // are the same either way.
  void set_input_gradient(bool needed) { input_gradient_ = needed; }
  bool input_gradient() const { return input_gradient_; }

 protected:
  bool input_gradient_ = true;
};

// Layers applied in order; owns them. Children are named "0", "1", ...
class Sequential : public Layer {
 public:
  Sequential() = default;

  template <class L, class... Args>
  L& emplace(Args&&... args) {
    auto layer = std::make_unique<L>(std::forward<Args>(args)...);
    L& ref = *layer;
    add(std::move(layer));
    return ref;
  }
  Layer& add(std::unique_ptr<Layer> layer) {
    NNOCR_CHECK(layer != nullptr, "Sequential::add: null layer");
    layers_.push_back(std::move(layer));
    return register_module(std::to_string(layers_.size() - 1), *layers_.back());
  }

  std::size_t size() const { return layers_.size(); }
  Layer& operator[](std::size_t i) { return *layers_.at(i); }
  const Layer& operator[](std::size_t i) const { return *layers_.at(i); }

  std::string kind() const override { return "Sequential"; }

  Tensor<float> forward(const Tensor<float>& x) override {
    if (layers_.empty()) return x;
    Tensor<float> h = layers_.front()->forward(x);
    for (std::size_t i = 1; i < layers_.size(); ++i) h = layers_[i]->forward(h);
    return h;
  }
  Tensor<float> backward(const Tensor<float>& grad_y) override {
    if (layers_.empty()) return grad_y;
    Tensor<float> g = layers_.back()->backward(grad_y);
    for (std::size_t i = layers_.size() - 1; i-- > 0;) g = layers_[i]->backward(g);
    return g;
  }
  Tensor<float> infer(const Tensor<float>& x) const override {
    if (layers_.empty()) return x;
    Tensor<float> h = layers_.front()->infer(x);
    for (std::size_t i = 1; i < layers_.size(); ++i) h = layers_[i]->infer(h);
    return h;
  }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
};

namespace detail {

// "Conv2d: expected input [N, C, H, W] with C = 3, got [2, 4, 5, 5]".
inline void check_rank(const char* layer, const Tensor<float>& x, int rank, const char* layout) {
  NNOCR_CHECK(x.rank() == rank, layer, ": expected input ", layout, ", got ", x.shape().str());
}

inline void check_same_shape(const char* layer, const Shape& expected, const Tensor<float>& grad) {
  NNOCR_CHECK(grad.shape() == expected, layer, "::backward: gradient has shape ", grad.shape().str(),
              ", the forward output had ", expected.str());
}

}  // namespace detail
}  // namespace nnocr::nn
