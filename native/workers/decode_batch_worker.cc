#include "workers/decode_batch_worker.h"

#include <cstdint>
#include <string>
#include <thread>

#include "addon_data.h"
#include "errors.h"
#include "option_reader.h"

namespace vgg2 {

namespace {

constexpr int64_t kMaxSide = 65535;
constexpr int64_t kMaxOffset = 9007199254740991LL;  // 2^53 - 1: exact in a JS number

void Check(Napi::Env env, bool ok, const std::string& message) {
  if (!ok) ThrowRange(env, message);
}

ImageSpec ParseSpec(const Napi::Value& value, const std::string& where, int size, size_t default_offset,
                    size_t out_bytes, Napi::Value& data_out) {
  Napi::Env env = value.Env();
  OptionReader o(value, where);
  ImageSpec s;
  data_out = o.Get("data");
  if (!data_out.IsTypedArray() || data_out.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowType(env, o.Name("data") + " must be a Uint8Array or Buffer");
  auto bytes = data_out.As<Napi::Uint8Array>();
  s.data = bytes.Data();
  s.length = bytes.ByteLength();
  s.kind = o.Choice("kind", {"jpeg", "raw"}) == "raw" ? ImageSpec::Kind::kRaw : ImageSpec::Kind::kJpeg;
  s.width = static_cast<int>(o.Int("width", 1, kMaxSide));
  s.height = static_cast<int>(o.Int("height", 1, kMaxSide));
  int r[4], wh[2], c[2];
  o.IntArray("region", 0, kMaxSide, r);
  o.IntArray("resized", 0, kMaxSide, wh);
  o.IntArray("crop", 0, kMaxSide, c);
  s.region_left = r[0], s.region_top = r[1], s.region_width = r[2], s.region_height = r[3];
  s.resized_width = wh[0], s.resized_height = wh[1];
  s.crop_left = c[0], s.crop_top = c[1];
  s.window_width = s.window_height = size;
  if (o.Has("window")) {
    int win[2];
    o.IntArray("window", 1, kMaxSide, win);
    s.window_width = win[0], s.window_height = win[1];
  }
  const int64_t offset = o.Int("offset", 0, kMaxOffset, static_cast<int64_t>(default_offset));
  s.flip = o.Bool("flip", false);
  s.gray = o.Bool("gray", false);
  s.gain = o.Number("gain", kAnyNumber, 1);
  s.bias = o.Number("bias", kAnyNumber, 0);
  if (o.Has("align")) {
    // {similarity: [a, b, tx, ty], pre?: [width, height]}: see AlignPlan.
    OptionReader a(o.Get("align"), o.Name("align"));
    Napi::Value m = a.Get("similarity");
    if (!m.IsArray() || m.As<Napi::Array>().Length() != 4)
      ThrowType(env, a.Name("similarity") + " must be [a, b, tx, ty]");
    double v[4];
    for (uint32_t k = 0; k < 4; ++k)
      v[k] = ToNumber(m.As<Napi::Array>().Get(k), a.Name("similarity") + "[" + std::to_string(k) + "]");
    Check(env, v[0] * v[0] + v[1] * v[1] > 1e-12, a.Name("similarity") + " must not be singular (a = b = 0)");
    s.align = true;
    s.plan.map = Similarity{v[0], v[1], v[2], v[3]};
    if (a.Has("pre")) {
      int pre[2];
      a.IntArray("pre", 1, kMaxSide, pre);
      s.plan.pre_width = pre[0], s.plan.pre_height = pre[1];
    }
    s.plan.width = s.resized_width, s.plan.height = s.resized_height;
  }

  if (s.kind == ImageSpec::Kind::kRaw)
    Check(env, s.length >= static_cast<size_t>(s.width) * s.height * 3,
          where + ": raw data holds " + std::to_string(s.length) + " bytes, " + std::to_string(s.width) + "x" +
              std::to_string(s.height) + "x3 needs " + std::to_string(static_cast<size_t>(s.width) * s.height * 3));
  Check(env,
        s.region_width > 0 && s.region_height > 0 && s.region_left + s.region_width <= s.width &&
            s.region_top + s.region_height <= s.height,
        where + ": region is not a non-empty part of the " + std::to_string(s.width) + "x" + std::to_string(s.height) +
            " image");
  Check(env, s.crop_left + s.window_width <= s.resized_width && s.crop_top + s.window_height <= s.resized_height,
        where + ": the " + std::to_string(s.window_width) + "x" + std::to_string(s.window_height) +
            " crop must lie inside the resized image");
  const int64_t window_bytes = static_cast<int64_t>(s.window_width) * s.window_height * 3;
  Check(env, offset + window_bytes <= static_cast<int64_t>(out_bytes),
        "decodeBatch: out holds " + std::to_string(out_bytes) + " bytes; " + where + " needs bytes " +
            std::to_string(offset) + ".." + std::to_string(offset + window_bytes));
  s.offset = static_cast<size_t>(offset);
  return s;
}

}  // namespace

DecodeBatchWorker::DecodeBatchWorker(Napi::Env env, BatchDecoder decoder, std::vector<uint32_t> slots,
                                     std::shared_ptr<ThreadPool> pool, size_t count, Napi::Array keep)
    : PromiseWorker(env),
      decoder_(std::move(decoder)),
      slots_(std::move(slots)),
      pool_(std::move(pool)),
      count_(count),
      keep_(Napi::Persistent(keep)) {}

void DecodeBatchWorker::Run() { decoder_.Run(*pool_); }

Napi::Value DecodeBatchWorker::Result(Napi::Env env) {
  auto result = Napi::Array::New(env, count_);
  for (size_t i = 0; i < count_; ++i) result.Set(static_cast<uint32_t>(i), env.Null());
  const auto& errors = decoder_.errors();
  for (size_t i = 0; i < errors.size(); ++i)
    if (!errors[i].empty()) result.Set(slots_[i], Napi::String::New(env, errors[i]));
  return result;
}

Napi::Value DecodeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return PromiseOrReject(env, [&]() -> Napi::Value {
    const char* usage = "decodeBatch(specs, out, size, {threads})";
    if (!info[0].IsArray()) ThrowType(env, std::string(usage) + ": specs must be an array (null for slots to skip)");
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      ThrowType(env, std::string(usage) + ": out must be a Uint8Array or Buffer");
    const int size = static_cast<int>(ToInt(info[2], std::string(usage) + ": size", 1, 4096));
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = static_cast<int>(OptionReader(info[3], "options").Int("threads", 1, 256, cores));
    auto specs = info[0].As<Napi::Array>();
    auto out = info[1].As<Napi::Uint8Array>();
    const size_t slot_bytes = static_cast<size_t>(size) * size * 3;

    // Our own array of every buffer in use: the caller may drop or change its specs meanwhile.
    auto keep = Napi::Array::New(env);
    keep.Set(0u, out);
    std::vector<ImageSpec> parsed;
    std::vector<uint32_t> slots;
    for (uint32_t i = 0; i < specs.Length(); ++i) {
      Napi::Value v = specs.Get(i);
      if (v.IsNull() || v.IsUndefined()) continue;
      const std::string where = "specs[" + std::to_string(i) + "]";
      if (!v.IsObject()) ThrowType(env, where + " must be an object or null");
      Napi::Value data;
      parsed.push_back(ParseSpec(v, where, size, i * slot_bytes, out.ByteLength(), data));
      slots.push_back(i);
      keep.Set(keep.Length(), data);
    }
    auto* addon = env.GetInstanceData<AddonData>();
    if (!addon->decode_pool || addon->decode_pool->size() != threads)
      addon->decode_pool = std::make_shared<ThreadPool>(threads);
    BatchDecoder decoder(std::move(parsed), out.Data());
    return (new DecodeBatchWorker(env, std::move(decoder), std::move(slots), addon->decode_pool, specs.Length(), keep))
        ->Start();
  });
}

}  // namespace vgg2
