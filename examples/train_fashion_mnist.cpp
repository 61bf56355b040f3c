// train_fashion_mnist — the same CNN on Fashion-MNIST (60,000 training and
// the official 10,000 test images) from Debian's dataset-fashion-mnist.
//   build/examples/example_train_fashion_mnist [--epochs 8] [--data /usr/share/datasets/fashion-mnist]
#include "classifier_training.hpp"

int main(int argc, char** argv) {
  example::Options o;
  o.name = "fashion-mnist";
  o.epochs = 8;
  o.shift = 1;
  return example::run_main(argc, argv, o, "/usr/share/datasets/fashion-mnist", "train", "t10k");
}
