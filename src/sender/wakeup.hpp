// Waking the sender workers without shared memory of our own (docs: design/delivery.md section
// 2): their pids are in mc.sender_worker; a transaction that inserts delivery-log rows (the
// statement trigger mc._sender_wake_trigger) or calls mc._wake_senders() reads them once, and
// the transaction callback sets each one's latch when, and only if, the transaction commits.
// A stray wake (a recycled pid) is harmless: the workers also wake every second.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "access/xact.h"
}

namespace mc::sender {

// From the one transaction callback (backend/callbacks.cpp). Cannot fail.
void on_xact_event(XactEvent event);

}  // namespace mc::sender
