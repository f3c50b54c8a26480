#include "media/publish_session.hpp"

namespace lamplight::media {

using protocol::errc;

namespace {

bool same_streams(const offered_stream& a, const offered_stream& b) {
  return a.codec == b.codec && a.ssrc == b.ssrc && a.rids == b.rids
         && a.layer_ssrcs == b.layer_ssrcs && a.rid_extension == b.rid_extension;
}

/// The transport the offer's accepted sections share; nullopt when it has
/// none, error when they differ.
protocol::result<std::optional<session_remote>> offered_transport(const session_description& offer) {
  std::optional<session_remote> seen;
  for (const auto& m : offer.media) {
    if (m.port == 0)
      continue;
    session_remote r{m.ice_ufrag, m.ice_pwd, m.fingerprint};
    if (!seen)
      seen = r;
    else if (r != *seen)
      return protocol::error{errc::bad_request, "the offer's sections do not share one transport"};
  }
  return seen;
}

} // namespace

bool publish_session::other_connection(const std::string& sdp) const {
  if (!client_)
    return false;
  auto parsed = parse_sdp(sdp);
  if (!parsed)
    return false;
  auto seen = offered_transport(*parsed);
  return seen && *seen && **seen != *client_;
}

publish_session::publish_session(session_endpoint ours, bool accept_data_channels)
  : ours_(std::move(ours)), accept_data_channels_(accept_data_channels) {}

protocol::result<publish_session::negotiated> publish_session::offer(const std::string& sdp) {
  auto parsed = parse_sdp(sdp);
  if (!parsed)
    return parsed.err();
  const auto& offer = *parsed;
  if (offer.media.size() < mids_.size())
    return protocol::error{errc::bad_request, "the offer drops sections an earlier offer had"};
  for (std::size_t i = 0; i < mids_.size(); ++i)
    if (offer.media[i].mid != mids_[i])
      return protocol::error{errc::bad_request, "section " + std::to_string(i) + " was mid "
                                                  + mids_[i] + ", not " + offer.media[i].mid};
  auto transport = offered_transport(offer);
  if (!transport)
    return transport.err();
  auto seen = *transport;
  if (!seen)
    return protocol::error{errc::bad_request, "the offer has no section to accept"};
  if (client_ && *seen != *client_)
    return protocol::error{errc::bad_request, "the offer changes the client's ICE credentials or "
                                              "certificate (an ICE restart is a new session)"};
  answer_params ap;
  ap.ice_ufrag = ours_.ice_ufrag;
  ap.ice_pwd = ours_.ice_pwd;
  ap.fingerprint = ours_.fingerprint;
  ap.candidate_ip = ours_.candidate_ip;
  ap.candidate_port = ours_.candidate_port;
  ap.data_channels = accept_data_channels_;
  auto answer = make_answer(offer, ap);
  if (!answer)
    return answer.err();

  // Accepted: what each section sends now against what it sent before.
  negotiated out;
  out.answer = write_sdp(*answer);
  out.client = *seen;
  out.first = !client_;
  out.data_channels = accept_data_channels_ && offers_data_channels(offer);
  std::map<std::string, track> now;
  for (const auto& m : offer.media)
    if (auto s = offered_stream_of(m); s && !m.mid.empty())
      now[m.mid] = track{m.mid, *s};
  for (const auto& [mid, t] : now) {
    auto before = tracks_.find(mid);
    if (before == tracks_.end())
      out.added.push_back(t);
    else if (!same_streams(before->second.stream, t.stream))
      out.changed.push_back(t);
  }
  for (const auto& [mid, t] : tracks_)
    if (!now.count(mid))
      out.removed.push_back(mid);
  mids_.clear();
  for (const auto& m : offer.media)
    mids_.push_back(m.mid);
  tracks_ = std::move(now);
  client_ = *seen;
  return out;
}

} // namespace lamplight::media
