#include "delivery/dkim_verifier.hpp"

#include "delivery/dkim_signer.hpp"

#include "delivery/opendkim_include.hpp"

#include <memory>

namespace mc::delivery {

namespace {
struct LibClose {
  void operator()(DKIM_LIB* l) const { dkim_close(l); }
};
struct DkimFree {
  void operator()(DKIM* d) const { dkim_free(d); }
};
}  // namespace

DkimVerification dkim_verify_with_key_file(std::string_view message, const std::string& key_file) {
  DkimVerification v;
  std::unique_ptr<DKIM_LIB, LibClose> lib(dkim_init(nullptr, nullptr));
  if (!lib) {
    v.result = "dkim_init failed";
    return v;
  }
  dkim_query_t method = DKIM_QUERY_FILE;
  dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method);
  dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, const_cast<char*>(key_file.c_str()),
               key_file.size());
  DKIM_STAT stat = DKIM_STAT_OK;
  std::unique_ptr<DKIM, DkimFree> dkim(
      dkim_verify(lib.get(), reinterpret_cast<const unsigned char*>("mc-verify"), nullptr, &stat));
  if (!dkim) {
    v.result = dkim_getresultstr(stat);
    return v;
  }
  for_each_header_field(message, [&](std::string_view field) {
    dkim_header(dkim.get(), reinterpret_cast<u_char*>(const_cast<char*>(field.data())),
                field.size());
  });
  dkim_eoh(dkim.get());
  std::size_t body = for_each_header_field(message, [](std::string_view) {});
  if (body < message.size())
    dkim_body(dkim.get(), reinterpret_cast<u_char*>(const_cast<char*>(message.data() + body)),
              message.size() - body);
  stat = dkim_eom(dkim.get(), nullptr);
  v.result = dkim_getresultstr(stat);
  const char* err = dkim_geterror(dkim.get());
  if (err && *err) v.result += std::string(": ") + err;
  DKIM_SIGINFO* sig = dkim_getsignature(dkim.get());
  if (sig) {
    const u_char* h =
        dkim_sig_gettagvalue(sig, false, reinterpret_cast<u_char*>(const_cast<char*>("h")));
    if (h) v.signed_headers = reinterpret_cast<const char*>(h);
  }
  v.pass = stat == DKIM_STAT_OK && sig && DKIM_SIG_CHECK(sig);
  return v;
}

}  // namespace mc::delivery
