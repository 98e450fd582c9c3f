// Handing a native object to a JS class that owns it: Wrap makes an instance of `constructor`
// from a shared_ptr (through an External only the addon can make, so the class cannot be built
// from JS), and Take moves the pointer out of it in the constructor. Moved, not copied: a second
// owner left in the External would keep the object alive until the GC collected it.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "errors.h"

namespace vgg2 {

template <typename T>
Napi::Value WrapShared(Napi::Env env, Napi::FunctionReference& constructor, std::shared_ptr<T> object) {
  auto external = Napi::External<std::shared_ptr<T>>::New(env, new std::shared_ptr<T>(std::move(object)),
                                                          [](Napi::Env, std::shared_ptr<T>* p) { delete p; });
  return constructor.New({external});
}

// In a wrapped class's constructor; `how` says how to get one ("use createEngine(options)").
template <typename T>
std::shared_ptr<T> TakeShared(const Napi::CallbackInfo& info, const std::string& what, const std::string& how) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    ThrowType(info.Env(), what + " is not constructed directly: " + how);
  }
  return std::move(*info[0].As<Napi::External<std::shared_ptr<T>>>().Data());
}

}  // namespace vgg2
