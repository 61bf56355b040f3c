// lenet.hpp — a LeNet-style image classifier (LeCun et al. 1998, with the
// modern touches: ReLU, batch normalisation, max pooling, dropout), used for
// MNIST and Fashion-MNIST.
//
//   [N, C, S, S] -> conv 5x5 (c1) -> BN -> ReLU -> maxpool 2
//                -> conv 5x5 (c2) -> BN -> ReLU -> maxpool 2
//                -> flatten -> linear (hidden) -> ReLU -> dropout -> linear (classes)
// Convolutions are padded ("same"), so S must be divisible by 4.
// The configuration round-trips through JSON (the model file's
// "nnocr.architecture" entry), so a saved model rebuilds from its file.
#pragma once

#include <memory>
#include <string>

#include "../io/json.hpp"
#include "../io/model_file.hpp"
#include "../nn/nn.hpp"

namespace nnocr::models {

struct LenetConfig {
  index_t in_channels = 1, image_size = 28, classes = 10;
  index_t conv1 = 32, conv2 = 64, hidden = 128;
  float dropout = 0.25f;

  io::Json to_json() const {
    io::Json j = io::Json::object();
    j.set("type", "lenet");
    j.set("in_channels", in_channels);
    j.set("image_size", image_size);
    j.set("classes", classes);
    j.set("conv1", conv1);
    j.set("conv2", conv2);
    j.set("hidden", hidden);
    j.set("dropout", static_cast<double>(dropout));
    return j;
  }
  static LenetConfig from_json(const io::Json& j) {
    NNOCR_CHECK(j.at("type").as_string() == "lenet", "architecture type '", j.at("type").as_string(),
                "' is not lenet");
    LenetConfig c;
    c.in_channels = j.at("in_channels").as_int();
    c.image_size = j.at("image_size").as_int();
    c.classes = j.at("classes").as_int();
    c.conv1 = j.at("conv1").as_int();
    c.conv2 = j.at("conv2").as_int();
    c.hidden = j.at("hidden").as_int();
    c.dropout = static_cast<float>(j.at("dropout").as_double());
    return c;
  }
};

class Lenet : public nn::Sequential {
 public:
  Lenet(const LenetConfig& config, Rng& rng) : config_(config) {
    const auto& c = config;
    NNOCR_CHECK(c.in_channels > 0 && c.classes > 1 && c.conv1 > 0 && c.conv2 > 0 && c.hidden > 0,
                "Lenet: sizes must be positive (and at least two classes)");
    NNOCR_CHECK(c.image_size >= 4 && c.image_size % 4 == 0 && c.image_size <= 4096, "Lenet: image_size ",
                c.image_size, " must be a multiple of 4 in [4, 4096]");
    NNOCR_CHECK(c.dropout >= 0.0f && c.dropout < 1.0f, "Lenet: dropout must be in [0, 1)");
    nn::Conv2dConfig k1;
    k1.in_channels = c.in_channels;
    k1.out_channels = c.conv1;
    k1.kernel = 5;
    k1.padding = 2;
    k1.bias = false;  // followed by batch normalisation
    nn::Conv2dConfig k2 = k1;
    k2.in_channels = c.conv1;
    k2.out_channels = c.conv2;
    emplace<nn::Conv2d>(k1, rng).set_input_gradient(false);  // nothing needs the images' gradient
    emplace<nn::BatchNorm2d>(c.conv1);
    emplace<nn::ReLU>();
    emplace<nn::MaxPool2d>(2);
    emplace<nn::Conv2d>(k2, rng);
    emplace<nn::BatchNorm2d>(c.conv2);
    emplace<nn::ReLU>();
    emplace<nn::MaxPool2d>(2);
    emplace<nn::Flatten>();
    const index_t s = c.image_size / 4;
    emplace<nn::Linear>(c.conv2 * s * s, c.hidden, rng);
    emplace<nn::ReLU>();
    emplace<nn::Dropout>(c.dropout, rng.next_u64());
    emplace<nn::Linear>(c.hidden, c.classes, rng);
  }

  const LenetConfig& config() const { return config_; }
  std::string kind() const override { return "Lenet"; }

  void save(const std::string& path, io::Metadata metadata = {}) {
    metadata.emplace_back("nnocr.architecture", io::to_json(config_.to_json()));
    io::save_module(path, *this, metadata);
  }
  static std::unique_ptr<Lenet> load(const std::string& path) {
    const io::SafeTensorsFile file = io::load_safetensors(path);
    const std::string* arch = file.find_metadata("nnocr.architecture");
    NNOCR_CHECK(arch != nullptr, path, ": no 'nnocr.architecture' in the metadata (not an nnocr model file)");
    Rng rng(0);
    auto model = std::make_unique<Lenet>(LenetConfig::from_json(io::parse_json(*arch, path + " architecture")), rng);
    io::load_module_tensors(file, *model);
    model->eval();
    return model;
  }

 private:
  LenetConfig config_;
};

}  // namespace nnocr::models
