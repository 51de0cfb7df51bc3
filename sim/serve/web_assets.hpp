// The workbench page's files (sim/serve/web/, and Chart.js from Debian's libjs-chart.js), embedded
// into the program at build time (sim/serve/embed_web_assets.cmake), so the page works wherever
// the binary is, with no network.
#pragma once
#include <cstddef>
#include <string>

namespace commsim::serve {

struct WebAsset {
  const char* path;          // URL path: "/", "/app.js", "/vendor/chart.min.js"
  const char* content_type;
  const unsigned char* data;
  size_t size;
};

const WebAsset* find_web_asset(const std::string& path);  // nullptr when there is none

}  // namespace commsim::serve
