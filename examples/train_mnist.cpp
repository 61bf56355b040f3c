// train_mnist — a LeNet-style CNN on the MNIST digits bundled in data/mnist
// (8,000 training and 2,000 held-out digits; see data/mnist/README.md).
//   build/examples/example_train_mnist [--epochs 12] [--threads 2] [--save mnist.safetensors]
#include "classifier_training.hpp"

int main(int argc, char** argv) {
  example::Options o;
  o.name = "mnist";
  o.epochs = 15;
  return example::run_main(argc, argv, o, NNOCR_SOURCE_DIR "/data/mnist", "train", "t10k");
}
