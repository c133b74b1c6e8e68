#pragma once

// File: proxy/stats/response_flags.h
//
// Envoy's response flags (%RESPONSE_FLAGS%), as a bit set whose bit order is Envoy's enum
// order, so that joining set flags with ',' prints them as Envoy does ("UF,URX", "DI,FI").

#include <cstdint>
#include <string>
#include <string_view>

namespace meshsim::proxy::stats {

enum class ResponseFlag : uint32_t {
  FailedLocalHealthCheck = 1u << 0,            // LH
  NoHealthyUpstream = 1u << 1,                 // UH
  UpstreamRequestTimeout = 1u << 2,            // UT
  LocalReset = 1u << 3,                        // LR
  UpstreamRemoteReset = 1u << 4,               // UR
  UpstreamConnectionFailure = 1u << 5,         // UF
  UpstreamConnectionTermination = 1u << 6,     // UC
  UpstreamOverflow = 1u << 7,                  // UO
  NoRouteFound = 1u << 8,                      // NR
  DelayInjected = 1u << 9,                     // DI
  FaultInjected = 1u << 10,                    // FI
  RateLimited = 1u << 11,                      // RL
  DownstreamConnectionTermination = 1u << 12,  // DC
  UpstreamRetryLimitExceeded = 1u << 13,       // URX
  NoClusterFound = 1u << 14,                   // NC
};

using ResponseFlags = uint32_t;

inline ResponseFlags operator|(ResponseFlags a, ResponseFlag b) {
  return a | static_cast<uint32_t>(b);
}
inline bool hasFlag(ResponseFlags flags, ResponseFlag f) {
  return (flags & static_cast<uint32_t>(f)) != 0;
}

// "-" for no flags, else the short names joined with ',' in Envoy's order.
std::string responseFlagsToString(ResponseFlags flags);
// Parses "UF,URX" or "-"; returns false on an unknown name.
bool parseResponseFlags(std::string_view text, ResponseFlags* out);

}  // namespace meshsim::proxy::stats
