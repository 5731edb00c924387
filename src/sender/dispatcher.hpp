// The sending half of a sender worker, free of PostgreSQL: the routed providers (built from
// what mc._sender_config returns), one SmtpSender / HttpSender each, the messages a claim
// returned turned into SMTP or HTTP jobs (MIME, DKIM, webhook signature), and the results
// turned into the outcomes mc._sender_record takes (sent / failed / deferred with its retry
// time from the back-off schedule, quarantine). Nothing here blocks: the worker waits on its own
// WaitEventSet with the sockets wait_sockets() lists (external-wait API of curl_engine.hpp).
// Throws only std::exception (bad configuration JSON); a bad message becomes a failed outcome.
#pragma once

#include "delivery/curl_engine.hpp"
#include "delivery/dkim_signer.hpp"
#include "delivery/outcome.hpp"
#include "delivery/retry_schedule.hpp"
#include "sender/claimed_message.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mc::sender {

struct Outcome {
  std::uint64_t event_id = 0;
  std::string status;  // sent | failed | deferred
  std::string reason;
  std::string message_id;
  std::string quarantine;  // quarantine reason, empty: none
  std::string soft;        // soft failure reason (mailbox full), counted; empty: none
  std::string provider;
  std::int64_t retry_at = 0;  // unix seconds, deferred only
};

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The configuration signature last applied ("" at first): mc._sender_config(known) returns
  // NULL while it has not changed.
  const std::string& signature() const { return signature_; }
  // Applies a new configuration (JSON text). Providers whose definition changed are rebuilt;
  // the old sender finishes what it has in flight first.
  void configure(const std::string& config_json);

  // Channels routed to a provider, how many more messages each may take now, and whether its
  // provider reads the event's own fields (an HTTP provider with header or body templates: only
  // then does the claim look the events up).
  void claim_limits(std::vector<std::string>& channels, std::vector<int>& limits,
                    std::vector<bool>& with_event) const;
  // Free and total capacity over every routed provider.
  void capacity(int& free, int& total) const;
  // Hands the claimed messages to their providers.
  void dispatch(const std::vector<ClaimedMessage>& messages);

  // External wait: every socket of every sender (owner[i] says whose), and the earliest timer
  // (-1: none).
  void wait_sockets(std::vector<delivery::WaitSocket>& sockets, std::vector<int>& owner,
                    long& timeout_ms);
  // Lets every sender act on its ready sockets and timers; collects the results.
  void process(const std::vector<delivery::ReadySocket>& ready, const std::vector<int>& owner);

  std::size_t in_flight() const;  // queued or transferring
  std::vector<Outcome>& outcomes() { return outcomes_; }

 private:
  struct Provider;
  using Message = ClaimedMessage;
  void dispatch_one(const Message& m);
  void send_email(Provider& p, const Message& m);
  void send_http(Provider& p, const Message& m);
  void collect(Provider& p);
  void finish(Provider& p, std::uint64_t id, const delivery::Outcome& o, const std::string& mid);

  std::string signature_;
  std::map<std::string, std::unique_ptr<Provider>> providers_;  // by channel (routed)
  std::vector<std::unique_ptr<Provider>> retiring_;  // replaced, still with work in flight
  std::vector<Outcome> outcomes_;
  std::unique_ptr<delivery::DkimSigner> dkim_;
  delivery::RetrySchedule retry_;
};

}  // namespace mc::sender
