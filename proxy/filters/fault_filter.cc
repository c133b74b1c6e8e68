#include "proxy/filters/fault_filter.h"

namespace meshsim::proxy::filters {

namespace {

constexpr std::string_view kFaultAbort = "fault filter abort";

bool roll(RandomGenerator& random, double fraction) {
  return fraction >= 1.0 || random.unit() < fraction;
}

void abortRequest(StreamCallbacks& stream, int status) {
  stream.sendLocalReply(localResponse(status, kFaultAbort),
                        static_cast<stats::ResponseFlags>(stats::ResponseFlag::FaultInjected));
}

}  // namespace

FilterStatus FaultFilter::decodeHeaders(StreamCallbacks& stream) {
  const config::Route* route = stream.streamInfo().route;
  if (route == nullptr || !route->fault) {
    return FilterStatus::Continue;
  }
  const config::FaultPolicy& f = *route->fault;
  RandomGenerator& random = stream.context().random;
  const bool delay = f.delay.count() > 0 && roll(random, f.delay_fraction);
  const int abort_status =
      f.abort_status != 0 && roll(random, f.abort_fraction) ? f.abort_status : 0;
  if (delay) {
    StreamInfo& info = stream.streamInfo();
    info.flags = info.flags | stats::ResponseFlag::DelayInjected;
    stream.wakeUpAfter(f.delay, [&stream, abort_status] {
      if (abort_status != 0) {
        abortRequest(stream, abort_status);
      } else {
        stream.continueDecoding();
      }
    });
    return FilterStatus::StopIteration;
  }
  if (abort_status != 0) {
    abortRequest(stream, abort_status);
    return FilterStatus::StopIteration;
  }
  return FilterStatus::Continue;
}

}  // namespace meshsim::proxy::filters
