#pragma once
// Views and watch time as stored. A viewer ("u:<user id>" for accounts, "a:<visitor id>"
// for anonymous visitors) adds one view per video per window (30 minutes); heartbeats add
// watch time and the position to resume from. Every report is also kept as an event for
// analytics. Every call blocks on the database (worker threads only). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "monotube/db/database.hpp"

namespace monotube::interactions {

struct ViewReport {
  std::int64_t video_id = 0;
  std::string viewer_key;
  std::optional<std::int64_t> user_id;
  // A play started (no watch time sent) may count a view; a heartbeat only counts one when
  // it is the first report of this viewer (its start was lost).
  bool start = true;
  std::int64_t watch_time_ms = 0;
  std::optional<std::int64_t> position_ms;
};

struct ViewResult {
  bool counted = false;
  std::int64_t views = 0;
};

class ViewRepository {
 public:
  ViewRepository(db::Database& database, std::int64_t window_ms);
  // Throws NotFound when the video is gone.
  ViewResult Record(const ViewReport& report, std::int64_t now_ms);
  // Where the user stopped watching, in milliseconds; nullopt when never.
  std::optional<std::int64_t> ResumePosition(std::int64_t video_id, std::int64_t user_id);
  struct HistoryEntry {
    std::string video_public_id;
    std::int64_t watch_time_ms;
    std::optional<std::int64_t> position_ms;
    std::int64_t last_seen_at_ms;
  };
  // The user's watch history (GDPR export), most recent first.
  std::vector<HistoryEntry> HistoryOf(std::int64_t user_id);

 private:
  db::Database& database_;
  std::int64_t window_ms_;
};

}  // namespace monotube::interactions
