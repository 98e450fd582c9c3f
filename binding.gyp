{
  # node-gyp build of the same sources as CMakeLists.txt, for prebuildify (`npm run prebuild`).
  # LibTorch is found by scripts/torch-paths.js in the same order as the CMake build.
  "targets": [
    {
      "target_name": "vgg2_torch",
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('native',{recursive:true}).filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/torch-paths.js include)"
      ],
      "libraries": ["<!@(node scripts/torch-paths.js libs)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "_GLIBCXX_USE_CXX11_ABI=1"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
      "conditions": [
        # TurboJPEG for decodeBatch, when pkg-config finds it (as in CMakeLists.txt).
        ["<!(pkg-config --exists libturbojpeg && echo 1 || echo 0)==1", {
          "defines": ["VGG2_TURBOJPEG=1"],
          "libraries": ["<!@(pkg-config --libs libturbojpeg)"]
        }],
        # c10d Gloo for distributed training, when libgloo-dev's headers are there (as in CMakeLists.txt).
        ["<!(test -f /usr/include/gloo/config.h && echo 1 || echo 0)==1", {
          "defines": ["USE_C10D_GLOO", "VGG2_HAVE_GLOO"]
        }]
      ],
      # nlohmann-json (header-only) for the safetensors header: its -I, if it is outside the default path.
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-include", "<(module_root_dir)/native/pch.h", "-Wno-unused-parameter",
                    "<!@(pkg-config --cflags nlohmann_json)"]
    }
  ]
}
