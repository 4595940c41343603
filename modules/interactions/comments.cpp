#include "modules/interactions/comments.hpp"

#include <soci/soci.h>

#include "monotube/db/binds.hpp"
#include "monotube/errors.hpp"
#include "monotube/http/paging.hpp"
#include "monotube/ids.hpp"
#include "monotube/text.hpp"

namespace monotube::interactions {

using db::Binds;
using db::Execute;

namespace {

constexpr const char* kSelect =
    "SELECT c.id, c.public_id, c.video_id, v.public_id, v.owner_id, c.parent_id, p.public_id, c.author_id, u.public_id, "
    "u.username, u.display_name, u.avatar_key, c.content, c.reply_count, c.created_at, c.updated_at, c.edited_at "
    "FROM comments c JOIN videos v ON v.id = c.video_id JOIN users u ON u.id = c.author_id "
    "LEFT JOIN comments p ON p.id = c.parent_id ";

struct CommentRow {
  long long id = 0, video_id = 0, video_owner_id = 0, parent_id = 0, author_id = 0, reply_count = 0, created_at = 0,
            updated_at = 0, edited_at = 0;
  std::string public_id, video_public_id, parent_public_id, author_public_id, username, display_name, avatar_key,
      content;
  soci::indicator parent_ind = soci::i_null, parent_public_ind = soci::i_null, avatar_ind = soci::i_null,
                  edited_ind = soci::i_null;

  void ExchangeInto(soci::statement& s) {
    s.exchange(soci::into(id));
    s.exchange(soci::into(public_id));
    s.exchange(soci::into(video_id));
    s.exchange(soci::into(video_public_id));
    s.exchange(soci::into(video_owner_id));
    s.exchange(soci::into(parent_id, parent_ind));
    s.exchange(soci::into(parent_public_id, parent_public_ind));
    s.exchange(soci::into(author_id));
    s.exchange(soci::into(author_public_id));
    s.exchange(soci::into(username));
    s.exchange(soci::into(display_name));
    s.exchange(soci::into(avatar_key, avatar_ind));
    s.exchange(soci::into(content));
    s.exchange(soci::into(reply_count));
    s.exchange(soci::into(created_at));
    s.exchange(soci::into(updated_at));
    s.exchange(soci::into(edited_at, edited_ind));
  }

  Comment ToComment() const {
    Comment c;
    c.id = id;
    c.public_id = public_id;
    c.video_id = video_id;
    c.video_public_id = video_public_id;
    c.video_owner_id = video_owner_id;
    if (parent_ind == soci::i_ok) c.parent_id = parent_id;
    if (parent_public_ind == soci::i_ok) c.parent_public_id = parent_public_id;
    c.author = auth::User{};
    c.author.id = author_id;
    c.author.public_id = author_public_id;
    c.author.username = username;
    c.author.display_name = display_name;
    if (avatar_ind == soci::i_ok) c.author.avatar_key = avatar_key;
    c.content = content;
    c.reply_count = reply_count;
    c.created_at_ms = created_at;
    c.updated_at_ms = updated_at;
    if (edited_ind == soci::i_ok) c.edited_at_ms = edited_at;
    return c;
  }
};

std::vector<Comment> SelectComments(soci::session& session, const std::string& tail, Binds binds) {
  CommentRow row;
  soci::statement statement(session);
  binds.ExchangeInto(statement);
  row.ExchangeInto(statement);
  statement.alloc();
  statement.prepare(std::string(kSelect) + tail);
  statement.define_and_bind();
  std::vector<Comment> comments;
  if (statement.execute(true)) {
    do {
      comments.push_back(row.ToComment());
      row = CommentRow{};
    } while (statement.fetch());
  }
  return comments;
}

bool IsAllowedControl(char32_t c) { return c == '\n' || c == '\t'; }

}  // namespace

std::string NormalizeCommentContent(std::string_view content) {
  auto invalid = [](const std::string& code, const std::string& message) {
    ThrowFieldError("content", InvalidInput(code, message));
  };
  if (!IsValidUtf8(content)) invalid("invalid_encoding", "The comment is not valid UTF-8 text.");
  std::string text;
  text.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (c == '\r') {
      if (i + 1 < content.size() && content[i + 1] == '\n') continue;
      c = '\n';
    }
    auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && !IsAllowedControl(byte)) || byte == 0x7f)
      invalid("invalid_characters", "The comment contains control characters.");
    text += c;
  }
  auto first = text.find_first_not_of(" \t\n");
  std::string trimmed = first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
  if (trimmed.empty()) invalid("content_empty", "Write something before posting.");
  if (CountCharacters(trimmed) > kMaxCommentCharacters)
    invalid("content_too_long", "A comment can have at most " + std::to_string(kMaxCommentCharacters) + " characters.");
  return trimmed;
}

CommentRepository::CommentRepository(db::Database& database, const ActivityHook& activity)
    : database_(database), activity_(activity) {}

Comment CommentRepository::Insert(std::int64_t video_id, std::optional<std::int64_t> parent_id,
                                  std::int64_t author_id, const std::string& content, std::int64_t now_ms) {
  std::string public_id = NewPublicId();
  std::int64_t id = database_.InTransaction([&](soci::session& session) {
    // The counters first: their row locks keep the video and the parent from being deleted
    // before the comment is in (always the video before a comment, as in Delete).
    if (Execute(session, "UPDATE videos SET comment_count = comment_count + 1 WHERE id = :id", Binds().Int(video_id)) != 1)
      throw NotFound("video_not_found", "This video does not exist or is not available.");
    Binds binds;
    binds.Text(public_id).Int(video_id);
    std::string parent = "NULL";
    if (parent_id) {
      if (Execute(session,
                  "UPDATE comments SET reply_count = reply_count + 1 WHERE id = :id AND video_id = :video AND "
                  "parent_id IS NULL",
                  Binds().Int(*parent_id).Int(video_id)) != 1)
        throw NotFound("comment_not_found", "The comment you are replying to was deleted.");
      parent = ":parent";
      binds.Int(*parent_id);
    }
    binds.Int(author_id).Text(content).Int(now_ms).Int(now_ms);
    Execute(session,
            "INSERT INTO comments (public_id, video_id, parent_id, author_id, content, created_at, updated_at) VALUES "
            "(:public_id, :video, " +
                parent + ", :author, :content, :now, :now2)",
            std::move(binds));
    ActivityChange change;
    change.video_id = video_id;
    change.comments = 1;
    activity_(session, change);
    long long new_id = 0;
    session << "SELECT id FROM comments WHERE public_id = :public_id", soci::into(new_id), soci::use(public_id);
    return static_cast<std::int64_t>(new_id);
  });
  return FindById(id).value();
}

std::optional<Comment> CommentRepository::FindByPublicId(std::string_view public_id) {
  if (!IsValidPublicId(public_id)) return std::nullopt;
  auto found = database_.WithSession([&](soci::session& session) {
    return SelectComments(session, "WHERE c.public_id = :id", Binds().Text(std::string(public_id)));
  });
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::optional<Comment> CommentRepository::FindById(std::int64_t id) {
  auto found = database_.WithSession(
      [&](soci::session& session) { return SelectComments(session, "WHERE c.id = :id", Binds().Int(id)); });
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

CommentPage CommentRepository::List(std::int64_t video_id, std::optional<std::int64_t> parent_id, CommentOrder order,
                                    int limit, std::string_view cursor) {
  std::string sql = "WHERE c.video_id = :video AND ";
  Binds binds;
  binds.Int(video_id);
  if (parent_id) {
    sql += "c.parent_id = :parent";
    binds.Int(*parent_id);
  } else {
    sql += "c.parent_id IS NULL";
  }
  if (!cursor.empty()) {
    auto after = http::ParseCursor(cursor);
    switch (order) {
      case CommentOrder::kNewest:
        sql += " AND c.id < :id";
        binds.Int(after.id);
        break;
      case CommentOrder::kOldest:
        sql += " AND c.id > :id";
        binds.Int(after.id);
        break;
      case CommentOrder::kTop:
        db::AppendKeysetBefore(sql, binds, "c.reply_count", "c.id", after.key, after.id);
        break;
    }
  }
  switch (order) {
    case CommentOrder::kNewest: sql += " ORDER BY c.id DESC"; break;
    case CommentOrder::kOldest: sql += " ORDER BY c.id ASC"; break;
    case CommentOrder::kTop: sql += " ORDER BY c.reply_count DESC, c.id DESC"; break;
  }
  sql += " LIMIT :limit";
  binds.Int(limit + 1);
  CommentPage page;
  page.comments =
      database_.WithSession([&](soci::session& session) { return SelectComments(session, sql, std::move(binds)); });
  if (static_cast<int>(page.comments.size()) > limit) {
    page.comments.resize(static_cast<std::size_t>(limit));
    const Comment& last = page.comments.back();
    page.next_cursor = http::MakeCursor(order == CommentOrder::kTop ? last.reply_count : 0, last.id);
  }
  return page;
}

bool CommentRepository::UpdateContent(std::int64_t id, const std::string& content, std::int64_t now_ms) {
  return database_.WithSession([&](soci::session& session) {
    return Execute(session,
                   "UPDATE comments SET content = :content, updated_at = :now, edited_at = :now2 WHERE id = :id",
                   Binds().Text(content).Int(now_ms).Int(now_ms).Int(id)) == 1;
  });
}

bool CommentRepository::Delete(std::int64_t id) {
  return database_.InTransaction([&](soci::session& session) {
    const char* for_update = db::DialectOf(session) == db::Dialect::kPostgresql ? " FOR UPDATE" : "";
    long long video_id = 0;
    session << "SELECT video_id FROM comments WHERE id = :id", soci::into(video_id), soci::use(static_cast<long long>(id));
    if (!session.got_data()) return false;
    // Lock the video, then the comment (the order Insert takes them), so the reply count read
    // here is the one that is deleted: a reply being added meanwhile waits, then finds no parent.
    long long locked = 0;
    session << std::string("SELECT id FROM videos WHERE id = :id") + for_update, soci::into(locked),
        soci::use(video_id);
    long long reply_count = 0, parent_id = 0;
    soci::indicator parent_ind = soci::i_null;
    session << std::string("SELECT reply_count, parent_id FROM comments WHERE id = :id") + for_update,
        soci::into(reply_count), soci::into(parent_id, parent_ind), soci::use(static_cast<long long>(id));
    if (!session.got_data()) return false;
    // Replies go with their comment (ON DELETE CASCADE); the counts go down by all of them.
    if (Execute(session, "DELETE FROM comments WHERE id = :id", Binds().Int(id)) != 1) return false;
    if (parent_ind == soci::i_ok)
      Execute(session, "UPDATE comments SET reply_count = reply_count - 1 WHERE id = :id", Binds().Int(parent_id));
    Execute(session, "UPDATE videos SET comment_count = comment_count - :n WHERE id = :id",
            Binds().Int(1 + reply_count).Int(video_id));
    ActivityChange change;
    change.video_id = video_id;
    change.comments = -(1 + reply_count);
    activity_(session, change);
    return true;
  });
}

std::vector<Comment> CommentRepository::AllOfAuthor(std::int64_t author_id) {
  return database_.WithSession([&](soci::session& session) {
    return SelectComments(session, "WHERE c.author_id = :author ORDER BY c.id DESC", Binds().Int(author_id));
  });
}

}  // namespace monotube::interactions
