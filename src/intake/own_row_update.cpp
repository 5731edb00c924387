#include "intake/own_row_update.hpp"

namespace mc::intake {
namespace {
int depth = 0;
}  // namespace

OwnRowUpdate::OwnRowUpdate() { ++depth; }
OwnRowUpdate::~OwnRowUpdate() {
  if (depth > 0) --depth;
}
bool own_row_update_in_progress() { return depth > 0; }
void forget_own_row_update() { depth = 0; }

}  // namespace mc::intake
