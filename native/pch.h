// Precompiled for every translation unit: torch/torch.h alone costs ~12 s to parse.
#pragma once
#include <napi.h>
#include <torch/torch.h>
