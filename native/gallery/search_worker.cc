#include "gallery/search_worker.h"

#include <torch/torch.h>

#include <algorithm>

#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

GallerySearchWorker::GallerySearchWorker(Napi::Env env, Napi::TypedArray gallery, Napi::Float32Array queries,
                                         int64_t dim, int64_t k)
    : PromiseWorker(env),
      gallery_ref_(Napi::Persistent(gallery)),
      queries_ref_(Napi::Persistent(queries)),
      gallery_(static_cast<uint8_t*>(gallery.ArrayBuffer().Data()) + gallery.ByteOffset()),
      bf16_(gallery.TypedArrayType() == napi_uint16_array),
      queries_(queries.Data()),
      rows_(static_cast<int64_t>(gallery.ElementLength()) / dim),
      count_(static_cast<int64_t>(queries.ElementLength()) / dim),
      dim_(dim),
      k_(std::min<int64_t>(k, static_cast<int64_t>(gallery.ElementLength()) / dim)) {}

void GallerySearchWorker::Run() {
  torch::NoGradGuard no_grad;
  auto g = torch::from_blob(gallery_, {rows_, dim_}, bf16_ ? torch::kBFloat16 : torch::kFloat32);
  auto q = torch::from_blob(queries_, {count_, dim_}, torch::kFloat32).to(g.scalar_type());
  auto [values, positions] = torch::mm(q, g.t()).to(torch::kFloat32).topk(k_, /*dim=*/1);
  auto idx = positions.to(torch::kInt32).contiguous();
  auto val = values.contiguous();
  scores_.assign(val.data_ptr<float>(), val.data_ptr<float>() + val.numel());
  indices_.assign(idx.data_ptr<int32_t>(), idx.data_ptr<int32_t>() + idx.numel());
}

Napi::Value GallerySearchWorker::Result(Napi::Env env) {
  auto out = Napi::Object::New(env);
  auto scores = Napi::Float32Array::New(env, scores_.size());
  std::copy(scores_.begin(), scores_.end(), scores.Data());
  auto indices = Napi::Int32Array::New(env, indices_.size());
  std::copy(indices_.begin(), indices_.end(), indices.Data());
  out.Set("scores", scores);
  out.Set("indices", indices);
  out.Set("k", Napi::Number::New(env, static_cast<double>(k_)));
  return out;
}

Napi::Value GallerySearch(const Napi::CallbackInfo& info) {
  return PromiseOrReject(info.Env(), [&]() -> Napi::Value {
    auto env = info.Env();
    auto is = [](const Napi::Value& v, napi_typedarray_type type) {
      return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
    };
    auto isF32 = [&](const Napi::Value& v) { return is(v, napi_float32_array); };
    if (!isF32(info[0]) && !is(info[0], napi_uint16_array))
      ThrowType(env, "gallerySearch: gallery must be a Float32Array (fp32) or a Uint16Array (bf16 bits)");
    if (!isF32(info[1])) ThrowType(env, "gallerySearch: queries must be a Float32Array");
    OptionReader opts(info[2]);
    const int64_t dim = opts.Int("dim", 1, 1 << 20);
    const int64_t k = opts.Int("k", 1, 1 << 20);
    auto gallery = info[0].As<Napi::TypedArray>();
    auto queries = info[1].As<Napi::Float32Array>();
    if (gallery.ElementLength() == 0 || gallery.ElementLength() % dim != 0)
      ThrowRange(env, "gallerySearch: gallery length must be a positive multiple of dim");
    if (queries.ElementLength() == 0 || queries.ElementLength() % dim != 0)
      ThrowRange(env, "gallerySearch: queries length must be a positive multiple of dim");
    return (new GallerySearchWorker(env, gallery, queries, dim, k))->Start();
  });
}

}  // namespace vgg2
