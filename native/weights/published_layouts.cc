#include "weights/published_layouts.h"

#include <ATen/ATen.h>

#include <map>
#include <regex>
#include <set>
#include <stdexcept>

namespace vgg2 {

namespace {

// 1x1 convolutions that are Linear layers in our models: [out, in, 1, 1] -> [out, in].
at::Tensor AsLinear(const std::string& name, const at::Tensor& w) {
  if (w.dim() == 2) return w;
  if (w.dim() != 4 || w.size(2) != 1 || w.size(3) != 1) {
    throw std::runtime_error("'" + name + "' has shape " + c10::str(w.sizes()) + ", expected a 1x1 convolution");
  }
  return w.flatten(1).contiguous();
}

// conv{S}_{B}_<part>[_bn].<param> -> layer{S-1}.{B-1}.<ours>.<param>
std::string CaffeName(const std::string& name) {
  static const std::regex kStem(R"(conv1_7x7_s2(_bn)?\.(\w+))");
  static const std::regex kBlock(
      R"(conv(\d)_(\d+)_(1x1_reduce|3x3|1x1_increase|1x1_proj|1x1_down|1x1_up)(_bn)?\.(\w+))");
  static const std::regex kHead(R"((classifier|feat_extract)(_bn)?\.(\w+))");
  std::smatch m;
  if (std::regex_match(name, m, kStem)) return std::string(m[1].matched ? "bn1." : "conv1.") + m[2].str();
  if (std::regex_match(name, m, kBlock)) {
    const int stage = std::stoi(m[1]), block = std::stoi(m[2]);
    if (stage < 2 || stage > 5 || block < 1) return "";
    const std::string prefix = "layer" + std::to_string(stage - 1) + "." + std::to_string(block - 1) + ".";
    const bool bn = m[4].matched;
    const std::string part = m[3];
    std::string ours;
    if (part == "1x1_reduce") ours = bn ? "bn1" : "conv1";
    if (part == "3x3") ours = bn ? "bn2" : "conv2";
    if (part == "1x1_increase") ours = bn ? "bn3" : "conv3";
    if (part == "1x1_proj") ours = bn ? "downsample.1" : "downsample.0";
    if (part == "1x1_down" && !bn) ours = "se.fc.0";
    if (part == "1x1_up" && !bn) ours = "se.fc.2";
    return ours.empty() ? "" : prefix + ours + "." + m[5].str();
  }
  if (std::regex_match(name, m, kHead)) {
    if (m[1] == "classifier") return m[2].matched ? "" : "fc." + m[3].str();
    return std::string(m[2].matched ? "embedding.1." : "embedding.0.") + m[3].str();
  }
  return "";
}

// VGGFace2-pytorch: ours already, but SE as layerX.Y.conv4 / conv5.
std::string PickleName(const std::string& name) {
  static const std::regex kSe(R"((layer\d\.\d+)\.conv([45])\.(weight|bias))");
  std::smatch m;
  if (std::regex_match(name, m, kSe)) return m[1].str() + (m[2] == "4" ? ".se.fc.0." : ".se.fc.2.") + m[3].str();
  return name;
}

bool IsLinear(const std::string& ours) {
  return ours.find(".se.fc.") != std::string::npos || ours.rfind("fc.", 0) == 0 || ours.rfind("embedding.0.", 0) == 0;
}

}  // namespace

void ToOurLayout(WeightsFile& file, SourceFormat format) {
  std::set<std::string> names;
  for (const auto& item : file.tensors) names.insert(item.first);
  const bool caffe = names.count("conv1_7x7_s2.weight") > 0;
  const bool pickle = format == SourceFormat::kNumpyPickle && names.count("conv1.weight") > 0;
  if (!caffe && !pickle) return;
  TensorList out;
  std::set<std::string> bns;
  for (const auto& [name, tensor] : file.tensors) {
    const std::string ours = caffe ? CaffeName(name) : PickleName(name);
    if (ours.empty()) throw std::runtime_error("'" + name + "' is not a name of the VGGFace2 Caffe models");
    if (ours.find("num_batches_tracked") != std::string::npos) continue;  // re-added below, for all
    at::Tensor t = tensor.to(at::kFloat).contiguous();
    if (IsLinear(ours) && ours.size() > 7 && ours.compare(ours.size() - 7, 7, ".weight") == 0) t = AsLinear(name, t);
    // conv1 was trained on BGR: its input channels reversed, it takes RGB and computes the same.
    if (ours == "conv1.weight") t = t.flip({1}).contiguous();
    const auto dot = ours.rfind('.');
    if (ours.compare(dot, std::string::npos, ".running_var") == 0) bns.insert(ours.substr(0, dot));
    out.emplace_back(ours, t);
  }
  std::map<std::string, at::Tensor> by_name(out.begin(), out.end());
  // The low-dimensional models' feat_extract: a bias-free conv without a BatchNorm of its own
  // becomes our Linear + BatchNorm with an identity BatchNorm (var 1 - eps: exactly x).
  if (by_name.count("embedding.0.weight")) {
    const auto dim = by_name["embedding.0.weight"].size(0);
    if (!by_name.count("embedding.0.bias")) out.emplace_back("embedding.0.bias", at::zeros({dim}));
    if (!by_name.count("embedding.1.running_var")) {
      out.emplace_back("embedding.1.weight", at::ones({dim}));
      out.emplace_back("embedding.1.bias", at::zeros({dim}));
      out.emplace_back("embedding.1.running_mean", at::zeros({dim}));
      out.emplace_back("embedding.1.running_var", at::full({dim}, 1.0 - 1e-5));
      bns.insert("embedding.1");
    }
  }
  // The low-dimensional models are feature extractors without a classifier: ours gets one
  // output that is always 0 (metadata classifier: none).
  if (!by_name.count("fc.weight")) {
    const int64_t head = by_name.count("embedding.0.weight") ? by_name["embedding.0.weight"].size(0) : 2048;
    out.emplace_back("fc.weight", at::zeros({1, head}));
    out.emplace_back("fc.bias", at::zeros({1}));
    file.metadata["classifier"] = "none";
  }
  for (const auto& bn : bns) out.emplace_back(bn + ".num_batches_tracked", at::zeros({}, at::kLong));
  file.tensors = std::move(out);
  file.metadata["layout"] = caffe ? "caffe" : "vggface2-pytorch";
  file.metadata["variant"] = "caffe";
  file.metadata["normalization"] = R"({"mean":[131.0912,103.8827,91.4953],"std":[1,1,1]})";
  file.metadata["input_size"] = "224";
}

}  // namespace vgg2
