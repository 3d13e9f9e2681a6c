#include "cli.h"

int main(int argc, char** argv) {
  return segmentd::segmentd_main(argc, argv);
}
