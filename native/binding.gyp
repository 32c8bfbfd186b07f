{
  "targets": [
    {
      "target_name": "pymmap",
      "sources": [
        "src/binding.cc",
        "src/constants.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      "conditions": [
        ["OS=='win'", {
          "sources": ["src/os_win.cc", "src/guard_win.cc"],
          "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "UNICODE", "_UNICODE"],
          "msvs_settings": {"VCCLCompilerTool": {"AdditionalOptions": ["/std:c++17"]}}
        }, {
          "sources": ["src/os_posix.cc", "src/guard_posix.cc"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {"CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0"}
        }]
      ]
    }
  ]
}
