#pragma once
// A hook for modules that keep history of interactions (analytics): every change of a
// rating, a comment count or a subscription is told to the listener inside the transaction
// that makes it, on that transaction's session, so what the listener writes commits or rolls
// back with the change and history stays exact under concurrency. The listener must only
// write through the session it is given (no other connection: it would wait on this one).
#include <cstdint>
#include <functional>

namespace soci {
class session;
}

namespace monotube::interactions {

struct ActivityChange {
  std::int64_t video_id = 0;    // 0 = a channel-level change (subscriptions)
  std::int64_t channel_id = 0;  // the subscribed channel; for a video's changes 0 (its owner)
  std::int64_t likes = 0;       // deltas: +1 added, -1 removed
  std::int64_t dislikes = 0;
  std::int64_t comments = 0;
  std::int64_t subscribers = 0;
};

using ActivityListener = std::function<void(soci::session&, const ActivityChange&)>;

// Shared by the repositories of one module; set before the server starts.
class ActivityHook {
 public:
  void Set(ActivityListener listener) { listener_ = std::move(listener); }
  void operator()(soci::session& session, const ActivityChange& change) const {
    if (listener_) listener_(session, change);
  }

 private:
  ActivityListener listener_;
};

}  // namespace monotube::interactions
