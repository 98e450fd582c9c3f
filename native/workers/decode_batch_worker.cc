#include "workers/decode_batch_worker.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <thread>

#include "addon_data.h"
#include "errors.h"

namespace vgg2 {

namespace {

int IntField(const Napi::Object& o, const char* key, const std::string& where, bool optional = false, int fallback = 0) {
  Napi::Value v = o.Get(key);
  if (optional && v.IsUndefined()) return fallback;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 1e9)
    ThrowType(o.Env(), where + "." + key + " must be an integer");
  return static_cast<int>(d);
}

void IntTuple(const Napi::Object& o, const char* key, const std::string& where, int* out, uint32_t n) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != n)
    ThrowType(o.Env(), where + "." + key + " must be an array of " + std::to_string(n) + " integers");
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < n; ++i) {
    Napi::Value e = a.Get(i);
    double d = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 1e9)
      ThrowType(o.Env(), where + "." + key + " must be an array of " + std::to_string(n) + " integers");
    out[i] = static_cast<int>(d);
  }
}

double NumberField(const Napi::Object& o, const char* key, const std::string& where, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue())) ThrowType(o.Env(), where + "." + key + " must be a finite number");
  return v.As<Napi::Number>().DoubleValue();
}

void Check(Napi::Env env, bool ok, const std::string& message) {
  if (!ok) ThrowRange(env, message);
}

ImageSpec ParseSpec(const Napi::Object& o, const std::string& where, int size, size_t default_offset, size_t out_bytes,
                    Napi::Value& data_out) {
  Napi::Env env = o.Env();
  ImageSpec s;
  data_out = o.Get("data");
  if (!data_out.IsTypedArray() || data_out.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    ThrowType(env, where + ".data must be a Uint8Array or Buffer");
  auto bytes = data_out.As<Napi::Uint8Array>();
  s.data = bytes.Data();
  s.length = bytes.ByteLength();
  Napi::Value kind = o.Get("kind");
  std::string k = kind.IsString() ? kind.As<Napi::String>().Utf8Value() : "";
  if (k != "jpeg" && k != "raw") ThrowType(env, where + ".kind must be 'jpeg' or 'raw'");
  s.kind = k == "raw" ? ImageSpec::Kind::kRaw : ImageSpec::Kind::kJpeg;
  s.width = IntField(o, "width", where);
  s.height = IntField(o, "height", where);
  int r[4], wh[2], c[2];
  IntTuple(o, "region", where, r, 4);
  IntTuple(o, "resized", where, wh, 2);
  IntTuple(o, "crop", where, c, 2);
  s.region_left = r[0], s.region_top = r[1], s.region_width = r[2], s.region_height = r[3];
  s.resized_width = wh[0], s.resized_height = wh[1];
  s.crop_left = c[0], s.crop_top = c[1];
  s.window_width = s.window_height = size;
  if (!o.Get("window").IsUndefined()) {
    int win[2];
    IntTuple(o, "window", where, win, 2);
    s.window_width = win[0], s.window_height = win[1];
  }
  const int64_t offset = o.Get("offset").IsUndefined() ? static_cast<int64_t>(default_offset) : IntField(o, "offset", where);
  s.flip = o.Get("flip").ToBoolean();
  s.gray = o.Get("gray").ToBoolean();
  s.gain = NumberField(o, "gain", where, 1);
  s.bias = NumberField(o, "bias", where, 0);

  Check(env, s.width > 0 && s.height > 0 && s.width <= 65535 && s.height <= 65535, where + ": width and height must be in 1..65535");
  if (s.kind == ImageSpec::Kind::kRaw)
    Check(env, s.length >= static_cast<size_t>(s.width) * s.height * 3,
          where + ": raw data holds " + std::to_string(s.length) + " bytes, " + std::to_string(s.width) + "x" +
              std::to_string(s.height) + "x3 needs " + std::to_string(static_cast<size_t>(s.width) * s.height * 3));
  Check(env, s.region_left >= 0 && s.region_top >= 0 && s.region_width > 0 && s.region_height > 0 &&
                 s.region_left + s.region_width <= s.width && s.region_top + s.region_height <= s.height,
        where + ": region is not a non-empty part of the " + std::to_string(s.width) + "x" + std::to_string(s.height) + " image");
  Check(env, s.window_width > 0 && s.window_height > 0, where + ": window must be at least 1x1");
  Check(env, s.resized_width <= 65535 && s.resized_height <= 65535 && s.crop_left >= 0 && s.crop_top >= 0 &&
                 s.crop_left + s.window_width <= s.resized_width && s.crop_top + s.window_height <= s.resized_height,
        where + ": the " + std::to_string(s.window_width) + "x" + std::to_string(s.window_height) +
            " crop must lie inside the resized image");
  const int64_t window_bytes = static_cast<int64_t>(s.window_width) * s.window_height * 3;
  Check(env, offset >= 0 && offset + window_bytes <= static_cast<int64_t>(out_bytes),
        "decodeBatch: out holds " + std::to_string(out_bytes) + " bytes; " + where + " needs bytes " + std::to_string(offset) +
            ".." + std::to_string(offset + window_bytes));
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
    if (!info[2].IsNumber()) ThrowType(env, std::string(usage) + ": size must be a number");
    const double size_d = info[2].As<Napi::Number>().DoubleValue();
    if (!(size_d >= 1 && size_d <= 4096 && size_d == std::floor(size_d))) ThrowRange(env, std::string(usage) + ": size must be an integer in 1..4096");
    const int size = static_cast<int>(size_d);
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      if (!info[3].IsObject()) ThrowType(env, std::string(usage) + ": options must be an object");
      threads = IntField(info[3].As<Napi::Object>(), "threads", "options", true, threads);
      if (threads < 1 || threads > 256) ThrowRange(env, "options.threads must be in 1..256");
    }
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
      parsed.push_back(ParseSpec(v.As<Napi::Object>(), where, size, i * slot_bytes, out.ByteLength(), data));
      slots.push_back(i);
      keep.Set(keep.Length(), data);
    }
    auto* addon = env.GetInstanceData<AddonData>();
    if (!addon->decode_pool || addon->decode_pool->size() != threads) addon->decode_pool = std::make_shared<ThreadPool>(threads);
    BatchDecoder decoder(std::move(parsed), out.Data());
    return (new DecodeBatchWorker(env, std::move(decoder), std::move(slots), addon->decode_pool, specs.Length(), keep))->Start();
  });
}

}  // namespace vgg2
