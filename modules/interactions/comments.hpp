#pragma once
// Comments as stored: top-level comments on a video and one level of replies. The video's
// comment_count (every comment, replies included) and a comment's reply_count change in
// the same transaction as the rows they count. Every call blocks on the database (worker
// threads only). Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "monotube/db/database.hpp"
#include "modules/interactions/activity.hpp"
#include "modules/auth/users.hpp"

namespace monotube::interactions {

inline constexpr std::size_t kMaxCommentCharacters = 2000;

struct Comment {
  std::int64_t id = 0;  // never leaves the server
  std::string public_id;
  std::int64_t video_id = 0;
  std::string video_public_id;
  std::int64_t video_owner_id = 0;
  std::optional<std::int64_t> parent_id;
  std::string parent_public_id;  // "" for a top-level comment
  auth::User author;             // id, public_id, username, display_name, avatar_key only
  std::string content;
  std::int64_t reply_count = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> edited_at_ms;
};

// Trims the text and checks it: 1-2000 characters of valid UTF-8, no control characters
// but line breaks and tabs; CR LF becomes LF. Throws InvalidInput (field "content").
std::string NormalizeCommentContent(std::string_view content);

enum class CommentOrder { kNewest, kTop, kOldest };

struct CommentPage {
  std::vector<Comment> comments;
  std::string next_cursor;  // "" on the last page
};

class CommentRepository {
 public:
  // activity is told of every change of a video's comment count, inside its transaction.
  CommentRepository(db::Database& database, const ActivityHook& activity);

  // Adds a comment (parent_id: a top-level comment of the same video, or nullopt).
  Comment Insert(std::int64_t video_id, std::optional<std::int64_t> parent_id, std::int64_t author_id,
                 const std::string& content, std::int64_t now_ms);
  std::optional<Comment> FindByPublicId(std::string_view public_id);
  std::optional<Comment> FindById(std::int64_t id);
  // Top-level comments of a video (kNewest or kTop), or the replies of one comment (kOldest).
  CommentPage List(std::int64_t video_id, std::optional<std::int64_t> parent_id, CommentOrder order, int limit,
                   std::string_view cursor);
  // false when the comment is gone.
  bool UpdateContent(std::int64_t id, const std::string& content, std::int64_t now_ms);
  // Deletes the comment and its replies and lowers the counts; false when it was gone.
  bool Delete(std::int64_t id);
  // Every comment the user wrote, newest first (the GDPR export).
  std::vector<Comment> AllOfAuthor(std::int64_t author_id);

 private:
  db::Database& database_;
  const ActivityHook& activity_;
};

}  // namespace monotube::interactions
