// libFuzzer target: the config parser. Any text is either a Config or a
// ConfigError naming where it went wrong; any other exception (a YAML
// library error, std::out_of_range, bitset::set…) escapes and libFuzzer
// reports it as a crash.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.h"
#include "errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    segmentd::parse_config(text, "fuzz.yaml");
  } catch (const segmentd::ConfigError& e) {
    // A refusal names the file it refuses.
    if (std::string(e.what()).find("fuzz.yaml") == std::string::npos) std::abort();
  }
  return 0;
}
