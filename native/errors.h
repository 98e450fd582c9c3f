// C++ exceptions -> JS errors: the first useful line, never a C++ backtrace.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

#include "error_text.h"

namespace vgg2 {

// Argument errors are thrown on the JS thread before any native work.
[[noreturn]] void ThrowType(Napi::Env env, const std::string& message);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& message);

// Runs `body` (which returns a Promise) and turns a synchronous throw into a rejected promise, so
// async methods never throw synchronously.
template <typename Body>
Napi::Value PromiseOrReject(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  } catch (const std::exception& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(Napi::Error::New(env, FirstLine(e)).Value());
    return deferred.Promise();
  }
}

}  // namespace vgg2
