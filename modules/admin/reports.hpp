#pragma once
// Reports of videos and comments, as stored: one per person and target, in a queue that
// moderators resolve (with an action) or dismiss. Every call blocks on the database
// (worker threads only). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/db/database.hpp"

namespace monotube::admin {

inline constexpr std::string_view kReportOpen = "open";
inline constexpr std::string_view kReportResolved = "resolved";
inline constexpr std::string_view kReportDismissed = "dismissed";

// spam, harassment, hate, violence, sexual, misinformation, copyright, child_safety, other.
bool IsReportCategory(std::string_view category);

struct Report {
  std::int64_t id = 0;
  std::string public_id;
  std::string reporter_id;  // public id
  std::string reporter_username;
  std::string target_type;  // "video" or "comment"
  std::string target_id;    // public id of the video or comment
  std::string target_label;
  std::optional<std::int64_t> video_id;
  std::optional<std::int64_t> comment_id;  // nullopt once the comment is deleted
  std::string category;
  std::string text;
  std::string state;
  std::string action;
  std::string resolved_by;  // username
  std::optional<std::int64_t> resolved_at_ms;
  std::int64_t created_at_ms = 0;
  std::int64_t open_on_target = 0;  // open reports of the same target, this one included
};

struct NewReport {
  std::int64_t reporter_id = 0;
  std::string target_type;
  std::string target_id;
  std::string target_label;
  std::optional<std::int64_t> video_id;
  std::optional<std::int64_t> comment_id;
  std::string category;
  std::string text;
};

struct ReportPage {
  std::vector<Report> reports;
  std::string next_cursor;
};

class ReportRepository {
 public:
  explicit ReportRepository(db::Database& database);
  // Conflict("already_reported") when this person reported this target before.
  Report Insert(const NewReport& report, std::int64_t now_ms);
  std::optional<Report> FindByPublicId(std::string_view public_id);
  // Oldest open first when state is "open", newest first otherwise; "" = every state.
  ReportPage List(std::string_view state, std::string_view target_type, int limit, std::string_view cursor);
  // Closes every open report of the target; returns how many.
  std::int64_t CloseTarget(std::string_view target_type, std::string_view target_id, std::string_view state,
                           std::string_view action, std::string_view resolved_by, std::int64_t now_ms);

 private:
  db::Database& database_;
};

}  // namespace monotube::admin
