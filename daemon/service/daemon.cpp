#include "daemon.h"

#include "controller.h"
#include "errors.h"
#include "log_event.h"

namespace segmentd {

int run_daemon(const std::filesystem::path& config_path, bool verbose) {
  Config config = load_config(config_path);
  if (config.inbox.path.empty()) throw ConfigError(config_path.string() + ": inbox.path: required by `segmentd run`");
  setup_logging(verbose ? spdlog::level::debug : Controller::level_of(config.logging.level));
  // The controller's signal_set is constructed before its worker thread, so
  // SIGHUP/SIGTERM/SIGINT are routed to the loop from the start.
  Controller controller(config_path, std::move(config), verbose);
  return controller.run();
}

}  // namespace segmentd
