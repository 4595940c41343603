#include "modules/search/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/text.hpp"

namespace monotube::search {
namespace fs = std::filesystem;

namespace {

constexpr char kFieldSeparator = '\x1f';
constexpr char kTagSeparator = '\x1e';
constexpr const char* kLastSeqKey = "last_seq";
constexpr const char* kFormatKey = "format";
constexpr int kChangeBatch = 5000;
constexpr auto kSettle = std::chrono::seconds(10);
constexpr int kBuildBatch = 25000;  // documents per folder of a full build (merged at the end)
constexpr int kFlushThreshold = 4000;  // documents a full build buffers before writing
constexpr std::int64_t kBuildSlice = 20000;  // video ids read from the database at a time
constexpr std::size_t kMaxBuildThreads = 4;
constexpr Xapian::doccount kFewResults = 3;

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Xapian's reference counts are not atomic: an object shared by threads (a static Stem,
// Query::MatchAll) is corrupted by concurrent copies. One stemmer per thread.
const Xapian::Stem& EnglishStem() {
  thread_local const Xapian::Stem stem("english");
  return stem;
}

// Query::MatchAll, made per call (see EnglishStem).
Xapian::Query MatchAll() { return Xapian::Query(std::string()); }

std::unique_ptr<Xapian::TermGenerator> MakeGenerator(Xapian::WritableDatabase& database) {
  auto generator = std::make_unique<Xapian::TermGenerator>();
  generator->set_stemmer(EnglishStem());
  generator->set_database(database);
  return generator;
}

constexpr const char* kRowSelect =
    "SELECT v.id, v.owner_id, v.title, v.description, v.tags, v.visibility, v.status, "
    "COALESCE(v.published_at, v.created_at), COALESCE(v.duration_ms, 0), v.views, u.username, u.display_name, "
    "u.suspended, v.hidden FROM videos v JOIN users u ON u.id = v.owner_id ";

// The variables one row of kRowSelect is read into.
struct RowBuffer {
  long long id = 0, owner_id = 0, published = 0, duration = 0, views = 0;
  std::string title, description, tags, visibility, status, username, display_name;
  int suspended = 0, hidden = 0;

  void Bind(soci::statement& statement) {
    statement.exchange(soci::into(id));
    statement.exchange(soci::into(owner_id));
    statement.exchange(soci::into(title));
    statement.exchange(soci::into(description));
    statement.exchange(soci::into(tags));
    statement.exchange(soci::into(visibility));
    statement.exchange(soci::into(status));
    statement.exchange(soci::into(published));
    statement.exchange(soci::into(duration));
    statement.exchange(soci::into(views));
    statement.exchange(soci::into(username));
    statement.exchange(soci::into(display_name));
    statement.exchange(soci::into(suspended));
    statement.exchange(soci::into(hidden));
  }

  IndexRow Row() const {
    IndexRow row;
    row.id = id;
    row.owner_id = owner_id;
    row.title = title;
    row.description = description;
    auto parsed = nlohmann::json::parse(tags, nullptr, false);
    if (parsed.is_array())
      for (const auto& tag : parsed)
        if (tag.is_string()) row.tags.push_back(tag.get<std::string>());
    row.searchable = visibility == "public" && status == "ready" && suspended == 0 && hidden == 0;
    row.published_ms = published;
    row.duration_ms = duration;
    row.views = views;
    row.username = username;
    row.display_name = display_name;
    return row;
  }
};

std::string Join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::size_t start = 0;
  for (;;) {
    auto end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// Separators and markers are control characters; stored text never keeps them.
std::string WithoutControls(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') c = ' ';
  return out;
}

std::string StampName() {
  static std::mt19937_64 random{std::random_device{}()};
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  return std::to_string(SystemNowMs()) + "-" + std::to_string(random() % 1000000);
}

// MSet::snippet output (HTML-escaped, matches between \x01 and \x02) as plain segments.
std::vector<Segment> Segments(const std::string& marked) {
  std::vector<Segment> segments;
  std::string text;
  bool highlight = false;
  auto flush = [&] {
    if (!text.empty()) segments.push_back({text, highlight});
    text.clear();
  };
  for (std::size_t i = 0; i < marked.size(); ++i) {
    char c = marked[i];
    if (c == '\x01' || c == '\x02') {
      flush();
      highlight = c == '\x01';
      continue;
    }
    if (c == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
      bool replaced = false;
      for (const auto& [entity, ch] : kEntities) {
        if (marked.compare(i, entity.size(), entity) == 0) {
          text += ch;
          i += entity.size() - 1;
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    text += c;
  }
  flush();
  return segments;
}

std::string Trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// At most max bytes, cut at a character boundary.
std::string Utf8Prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  while (max > 0 && (static_cast<unsigned char>(text[max]) & 0xC0) == 0x80) --max;
  return std::string(text.substr(0, max)) + "…";
}

// The words of a title as the spelling table keeps them (lower case, as TermGenerator).
std::vector<std::string> TitleWords(std::string_view title) {
  std::vector<std::string> words;
  Xapian::TermGenerator generator;
  Xapian::Document document;
  generator.set_document(document);
  generator.index_text_without_positions(std::string(title));
  for (auto it = document.termlist_begin(); it != document.termlist_end(); ++it) {
    const std::string& term = *it;
    if (!term.empty() && term[0] != 'Z') words.push_back(term);
  }
  return words;
}

class TagFieldProcessor : public Xapian::FieldProcessor {
 public:
  Xapian::Query operator()(const std::string& text) override { return Xapian::Query(TagTerm(text)); }
};

// ---------- bucket terms ----------
// Every document carries boolean terms for the bucket of its publication date (year and
// month, UTC), its length and its views, so that range filters and value sorts work on
// posting lists instead of reading a value for every match.

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
// Lengths: the shorthands' edges (short < 4 min, medium 4-20 min, long > 20 min) are
// bucket edges, so they need no value check at all.
constexpr std::int64_t kDurationEdges[] = {60'000, 240'000, 600'000, 1'200'001, 3'600'000, 7'200'000};
// Searching ranges beyond these is pointless: no document has such values.
constexpr std::int64_t kNoLow = std::numeric_limits<std::int64_t>::min() / 4;
constexpr std::int64_t kNoHigh = std::numeric_limits<std::int64_t>::max() / 4;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::int64_t SaturatingAdd(std::int64_t value, std::int64_t delta) {
  return std::clamp(value, kNoLow, kNoHigh) + delta;
}

// Months since 0000-01 of a time (UTC), and back (H. Hinnant's civil calendar algorithms).
std::int64_t MonthIndexOf(std::int64_t ms) {
  std::int64_t z = FloorDiv(ms, kDayMs) + 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;  // 1..12
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return year * 12 + (month - 1);
}

std::int64_t MonthStartMs(std::int64_t month_index) {
  std::int64_t year = FloorDiv(month_index, 12);
  const std::int64_t month = month_index - year * 12 + 1;
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = FloorDiv(year, 400);
  const std::int64_t yoe = year - era * 400;
  const std::int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (era * 146097 + doe - 719468) * kDayMs;
}

std::string YearTerm(std::int64_t month_index) { return "XY" + std::to_string(FloorDiv(month_index, 12)); }
std::string MonthTerm(std::int64_t month_index) {
  const std::int64_t month = month_index - FloorDiv(month_index, 12) * 12 + 1;
  return "XM" + std::to_string(FloorDiv(month_index, 12)) + (month < 10 ? "0" : "") + std::to_string(month);
}

int DurationBucketOf(std::int64_t ms) {
  int bucket = 0;
  for (auto edge : kDurationEdges)
    if (ms >= edge) ++bucket;
  return bucket;
}
std::string DurationTerm(int bucket) { return "XL" + std::to_string(bucket); }

// Views by powers of two: 0, 1, 2-3, 4-7, ...
int ViewBucketOf(std::int64_t views) {
  int bucket = 0;
  for (auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(views, 0)) + 1; v > 1; v >>= 1) ++bucket;
  return bucket;
}
std::string ViewTerm(int bucket) { return "XV" + std::to_string(bucket); }

// The range of a value slot over the whole index (Xapian keeps conservative bounds), or
// nothing when no document has a value there.
std::optional<std::pair<std::int64_t, std::int64_t>> SlotBounds(const Xapian::Database& database,
                                                                Xapian::valueno slot) {
  const std::string low = database.get_value_lower_bound(slot), high = database.get_value_upper_bound(slot);
  if (low.empty() || high.empty()) return std::nullopt;
  auto to_int = [](double value) {
    return static_cast<std::int64_t>(std::clamp(value, static_cast<double>(kNoLow), static_cast<double>(kNoHigh)));
  };
  // Bounds widened by one: a value between two integers (never written, but harmless).
  return std::make_pair(to_int(std::floor(Xapian::sortable_unserialise(low))) - 1,
                        to_int(std::ceil(Xapian::sortable_unserialise(high))) + 1);
}

Xapian::Query ValueRange(Xapian::valueno slot, std::int64_t low, std::int64_t high) {
  return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, Xapian::sortable_serialise(static_cast<double>(low)),
                       Xapian::sortable_serialise(static_cast<double>(high)));
}

// The exact value ranges of a search whose bucket terms only approximate them at the edges
// (a month or duration bucket the range cuts). Checked per candidate document, after the
// terms matched — a value range inside the query would make Xapian walk the slot's whole
// value stream whenever it guesses the range to be the rarest part (30 ms for "this week"
// at a million videos; bench/README.md).
class ExactRanges : public Xapian::MatchDecider {
 public:
  void Add(Xapian::valueno slot, std::int64_t low, std::int64_t high) {
    for (const auto& range : ranges_)
      if (range.slot == slot) return;  // one range per slot: the first is the whole range
    ranges_.push_back({slot, static_cast<double>(low), static_cast<double>(high)});
  }
  bool empty() const noexcept { return ranges_.empty(); }
  const Xapian::MatchDecider* decider() const noexcept { return ranges_.empty() ? nullptr : this; }
  bool operator()(const Xapian::Document& document) const override {
    for (const auto& range : ranges_) {
      const double value = Xapian::sortable_unserialise(document.get_value(range.slot));
      if (value < range.low || value > range.high) return false;
    }
    return true;
  }

 private:
  struct Range {
    Xapian::valueno slot;
    double low, high;
  };
  std::vector<Range> ranges_;
};

Xapian::Query AnyOf(const std::vector<Xapian::Query>& parts) {
  if (parts.empty()) return Xapian::Query();  // matches nothing
  if (parts.size() == 1) return parts.front();
  return Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end());
}

// Past this many months between the oldest and newest document, date ranges and date
// sorts read values the plain way (a bucket list that long would cost more).
constexpr std::int64_t kMaxBucketMonths = 12 * 200;

// Documents with low <= published <= high: months (and whole years) inside the range are
// plain terms; a month the range cuts is its term too, and `exact` checks the values of
// the candidates.
Xapian::Query DateRangeQuery(const Xapian::Database& database, std::int64_t low, std::int64_t high,
                             ExactRanges& exact) {
  auto bounds = SlotBounds(database, kSlotPublished);
  if (!bounds) return Xapian::Query();
  low = std::max(low, bounds->first);
  high = std::min(high, bounds->second);
  if (low > high) return Xapian::Query();
  if (MonthIndexOf(high) - MonthIndexOf(low) > kMaxBucketMonths) return ValueRange(kSlotPublished, low, high);
  // A month is covered when every time it holds that any document can have is in range.
  auto state = [&](std::int64_t month) {  // 0: no documents possible, 1: covered, 2: cut
    const std::int64_t start = std::max(MonthStartMs(month), bounds->first);
    const std::int64_t end = std::min(MonthStartMs(month + 1) - 1, bounds->second);
    if (start > end) return 0;
    return low <= start && end <= high ? 1 : 2;
  };
  std::vector<Xapian::Query> parts;
  const std::int64_t last = MonthIndexOf(high);
  for (std::int64_t month = MonthIndexOf(low); month <= last;) {
    if (month - FloorDiv(month, 12) * 12 == 0) {  // January: a whole year in range is one term
      bool whole_year = true;
      for (std::int64_t m = month; m < month + 12 && whole_year; ++m) whole_year = state(m) != 2;
      if (whole_year) {
        parts.emplace_back(YearTerm(month));
        month += 12;
        continue;
      }
    }
    switch (state(month)) {
      case 1:
        parts.emplace_back(MonthTerm(month));
        break;
      case 2:
        parts.emplace_back(MonthTerm(month));
        exact.Add(kSlotPublished, low, high);
        break;
      default:
        break;
    }
    ++month;
  }
  return AnyOf(parts);
}

Xapian::Query DurationRangeQuery(const Xapian::Database& database, std::int64_t low, std::int64_t high,
                                 ExactRanges& exact) {
  auto bounds = SlotBounds(database, kSlotDuration);
  if (!bounds) return Xapian::Query();
  low = std::max(low, bounds->first);
  high = std::min(high, bounds->second);
  if (low > high) return Xapian::Query();
  std::vector<Xapian::Query> parts;
  constexpr int kBuckets = static_cast<int>(std::size(kDurationEdges)) + 1;
  for (int bucket = DurationBucketOf(low); bucket <= DurationBucketOf(high) && bucket < kBuckets; ++bucket) {
    const std::int64_t start = std::max(bucket == 0 ? kNoLow : kDurationEdges[bucket - 1], bounds->first);
    const std::int64_t end =
        std::min(bucket == kBuckets - 1 ? kNoHigh : kDurationEdges[bucket] - 1, bounds->second);
    if (start > end) continue;
    parts.emplace_back(DurationTerm(bucket));
    if (low > start || end > high) exact.Add(kSlotDuration, low, high);
  }
  return AnyOf(parts);
}

// Month terms from the newest month with documents to the oldest (empty years skipped);
// nothing when the dates span too long (the caller then sorts the plain way).
std::vector<std::string> DateBucketsNewestFirst(const Xapian::Database& database) {
  std::vector<std::string> terms;
  auto bounds = SlotBounds(database, kSlotPublished);
  if (!bounds || MonthIndexOf(bounds->second) - MonthIndexOf(bounds->first) > kMaxBucketMonths) return terms;
  const std::int64_t first_year = FloorDiv(MonthIndexOf(bounds->first), 12);
  for (std::int64_t year = FloorDiv(MonthIndexOf(bounds->second), 12); year >= first_year; --year) {
    if (database.get_termfreq(YearTerm(year * 12)) == 0) continue;
    for (std::int64_t month = year * 12 + 11; month >= year * 12; --month) {
      std::string term = MonthTerm(month);
      if (database.get_termfreq(term) > 0) terms.push_back(std::move(term));
    }
  }
  return terms;
}

std::vector<std::string> ViewBucketsHighestFirst(const Xapian::Database& database) {
  std::vector<std::string> terms;
  for (int bucket = 64; bucket >= 0; --bucket) {
    std::string term = ViewTerm(bucket);
    if (database.get_termfreq(term) > 0) terms.push_back(std::move(term));
  }
  return terms;
}

void AddBucketTerms(Xapian::Document& document, const IndexRow& row) {
  const std::int64_t month = MonthIndexOf(std::clamp(row.published_ms, kNoLow, kNoHigh));
  document.add_boolean_term(YearTerm(month));
  document.add_boolean_term(MonthTerm(month));
  document.add_boolean_term(DurationTerm(DurationBucketOf(row.duration_ms)));
  document.add_boolean_term(ViewTerm(ViewBucketOf(row.views)));
}

// One result: its title and description with the query's words marked.
SearchHit MakeHit(const Xapian::MSet& mset, const Xapian::MSetIterator& it, bool highlight) {
  SearchHit hit;
  hit.video_id = *it;
  auto fields = Split(it.get_document().get_data(), kFieldSeparator);
  const std::string title = fields.empty() ? std::string() : fields[0];
  const std::string description = fields.size() > 2 ? fields[2] : std::string();
  if (!highlight) {
    hit.title = {{title, false}};
    if (!description.empty()) hit.snippet = {{Utf8Prefix(description, 200), false}};
  } else {
    // No background model: it looks up every word of the text in the index, which
    // costs more than the whole search on a large index.
    hit.title = Segments(mset.snippet(title, title.size() + 16, EnglishStem(), 0, "\x01", "\x02", ""));
    if (!description.empty())
      hit.snippet = Segments(mset.snippet(description, 200, EnglishStem(), Xapian::MSet::SNIPPET_EXHAUSTIVE, "\x01",
                                          "\x02", "…"));
  }
  return hit;
}

}  // namespace

std::string TagTerm(std::string_view tag) {
  std::string term = "XT";
  for (char c : tag) term += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (term.size() > 240) term.resize(240);  // Xapian's term length limit
  return term;
}

fs::path CurrentIndexDir(const fs::path& dir) {
  std::error_code ec;
  auto link = dir / "current";
  if (!fs::is_symlink(link, ec)) return {};
  auto target = fs::read_symlink(link, ec);
  if (ec) return {};
  auto resolved = target.is_absolute() ? target : dir / target;
  if (!fs::is_directory(resolved, ec)) return {};
  return resolved;
}

// ---------- SearchRepository ----------

std::optional<IndexRow> SearchRepository::LoadVideo(std::int64_t id) {
  return database_.WithSession([&](soci::session& session) -> std::optional<IndexRow> {
    RowBuffer buffer;
    long long key = id;
    soci::statement statement(session);
    statement.alloc();
    statement.prepare(std::string(kRowSelect) + "WHERE v.id = :id");
    buffer.Bind(statement);
    statement.exchange(soci::use(key));
    statement.define_and_bind();
    if (!statement.execute(true)) return std::nullopt;
    return buffer.Row();
  });
}

std::vector<std::int64_t> SearchRepository::VideoIdsOfOwner(std::int64_t owner_id) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<std::int64_t> ids;
    long long id = 0;
    long long owner = owner_id;
    soci::statement statement =
        (session.prepare << "SELECT id FROM videos WHERE owner_id = :owner", soci::into(id), soci::use(owner));
    statement.execute();
    while (statement.fetch()) ids.push_back(id);
    return ids;
  });
}

std::pair<std::int64_t, std::int64_t> SearchRepository::VideoIdRange() {
  return database_.WithSession([&](soci::session& session) {
    long long low = 0, high = 0;
    session << "SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM videos", soci::into(low), soci::into(high);
    return std::make_pair(static_cast<std::int64_t>(low), static_cast<std::int64_t>(high));
  });
}

std::vector<IndexRow> SearchRepository::SearchableBetween(std::int64_t after, std::int64_t upto) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<IndexRow> rows;
    RowBuffer buffer;
    long long low = after, high = upto;
    soci::statement statement(session);
    statement.alloc();
    statement.prepare(std::string(kRowSelect) +
                      "WHERE v.id > :low AND v.id <= :high AND v.visibility = 'public' AND v.status = 'ready' "
                      "AND u.suspended = 0 AND v.hidden = 0 ORDER BY v.id");
    buffer.Bind(statement);
    statement.exchange(soci::use(low));
    statement.exchange(soci::use(high));
    statement.define_and_bind();
    statement.execute();
    while (statement.fetch()) rows.push_back(buffer.Row());
    return rows;
  });
}

std::vector<SearchRepository::Change> SearchRepository::ChangesAfter(std::int64_t seq, int limit) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<Change> changes;
    long long after = seq, row_seq = 0, video = 0, owner = 0;
    int max_rows = limit;
    soci::indicator video_ind = soci::i_ok, owner_ind = soci::i_ok;
    soci::statement statement =
        (session.prepare << "SELECT seq, video_id, owner_id FROM search_changes WHERE seq > :after "
                            "ORDER BY seq LIMIT :max_rows",
         soci::into(row_seq), soci::into(video, video_ind), soci::into(owner, owner_ind), soci::use(after),
         soci::use(max_rows));
    statement.execute();
    while (statement.fetch()) {
      Change change;
      change.seq = row_seq;
      if (video_ind == soci::i_ok) change.video_id = video;
      if (owner_ind == soci::i_ok) change.owner_id = owner;
      changes.push_back(change);
    }
    return changes;
  });
}

std::int64_t SearchRepository::SettledSeq(std::chrono::milliseconds settle) {
  return database_.WithSession([&](soci::session& session) {
    long long cutoff = SystemNowMs() - settle.count(), seq = 0;
    session << "SELECT COALESCE(MAX(seq), 0) FROM search_changes WHERE created_at < :cutoff", soci::into(seq),
        soci::use(cutoff);
    return static_cast<std::int64_t>(seq);
  });
}

std::int64_t SearchRepository::PrunedUpto() {
  return database_.WithSession([&](soci::session& session) {
    long long value = 0;
    soci::indicator indicator = soci::i_ok;
    session << "SELECT value FROM search_state WHERE name = 'pruned_upto'", soci::into(value, indicator);
    return session.got_data() && indicator == soci::i_ok ? static_cast<std::int64_t>(value) : std::int64_t{0};
  });
}

void SearchRepository::Prune(std::chrono::milliseconds retention) {
  long long cutoff = SystemNowMs() - retention.count();
  database_.InTransaction([&](soci::session& session) {
    long long upto = 0;
    session << "SELECT COALESCE(MAX(seq), 0) FROM search_changes WHERE created_at < :cutoff", soci::into(upto),
        soci::use(cutoff);
    if (upto > 0) {
      session << "DELETE FROM search_changes WHERE seq <= :upto", soci::use(upto);
      session << "INSERT INTO search_state (name, value) VALUES ('pruned_upto', :upto) "
                 "ON CONFLICT (name) DO UPDATE SET value = CASE WHEN excluded.value > search_state.value "
                 "THEN excluded.value ELSE search_state.value END",
          soci::use(upto);
    }
    session << "DELETE FROM search_view_marks WHERE changed_at < :cutoff", soci::use(cutoff);
  });
}

std::vector<SearchRepository::ViewCount> SearchRepository::ViewsChangedSince(std::int64_t since_ms) {
  return database_.WithSession([&](soci::session& session) {
    std::vector<ViewCount> counts;
    long long since = since_ms, id = 0, views = 0;
    soci::statement statement =
        (session.prepare << "SELECT m.video_id, v.views FROM search_view_marks m JOIN videos v ON v.id = m.video_id "
                            "WHERE m.changed_at >= :since",
         soci::into(id), soci::into(views), soci::use(since));
    statement.execute();
    while (statement.fetch()) counts.push_back({id, views});
    return counts;
  });
}

// ---------- documents and full builds ----------

Xapian::Document MakeDocument(const IndexRow& row, Xapian::TermGenerator& generator, bool spelling) {
  using Flags = Xapian::TermGenerator;
  Xapian::Document document;
  generator.set_document(document);
  // Spelling data from titles only, and positions (for phrases) from titles and tags:
  // with descriptions they would make the index several times larger and slower to build.
  generator.set_flags(spelling ? Flags::FLAG_SPELLING : Flags::flags(0));
  generator.index_text(row.title, 5);  // a title word weighs five description words
  generator.set_flags(Flags::flags(0));
  generator.index_text_without_positions(row.title, 1, "S");
  generator.increase_termpos();
  for (const auto& tag : row.tags) {
    generator.index_text(tag, 2);
    generator.increase_termpos();
    document.add_boolean_term(TagTerm(tag));
  }
  std::string channel = row.display_name + " " + row.username;
  generator.index_text_without_positions(channel, 1);
  generator.index_text_without_positions(channel, 1, "A");
  generator.index_text_without_positions(row.description, 1);
  document.add_boolean_term("XO" + std::to_string(row.owner_id));
  AddBucketTerms(document, row);
  document.add_value(kSlotPublished, Xapian::sortable_serialise(static_cast<double>(row.published_ms)));
  document.add_value(kSlotDuration, Xapian::sortable_serialise(static_cast<double>(row.duration_ms)));
  document.add_value(kSlotViews, Xapian::sortable_serialise(static_cast<double>(row.views)));
  std::vector<std::string> tags;
  for (const auto& tag : row.tags) tags.push_back(WithoutControls(tag));
  document.set_data(WithoutControls(row.title) + kFieldSeparator + Join(tags, kTagSeparator) + kFieldSeparator +
                    WithoutControls(row.description));
  return document;
}

namespace {

// Builds one part of a full index: the searchable videos with after < id <= upto, read
// from the database in slices (no connection is held for long), into new folders of at
// most kBuildBatch documents each (Xapian adds documents fastest to a small database;
// the folders are merged at the end), named folder-00000, folder-00001, ... in id order.
std::vector<fs::path> BuildPart(SearchRepository& repository, const fs::path& folder, std::int64_t after,
                                std::int64_t upto, std::int64_t& count) {
  std::vector<fs::path> folders;
  std::unique_ptr<Xapian::WritableDatabase> index;
  std::unique_ptr<Xapian::TermGenerator> generator;
  int in_index = 0;
  // Spelling data is counted here and written once per folder: per document (as the
  // indexer does for single changes) it is most of the cost of a build.
  std::unordered_map<std::string, Xapian::termcount> spellings;
  auto finish = [&] {
    if (!index) return;
    for (const auto& [word, frequency] : spellings) index->add_spelling(word, frequency);
    spellings.clear();
    index->commit();
    index->close();
    generator.reset();
    index.reset();
    in_index = 0;
  };
  for (std::int64_t from = after; from < upto;) {
    const std::int64_t to = std::min(upto, from + kBuildSlice);
    for (const auto& row : repository.SearchableBetween(from, to)) {
      if (row.id <= 0 || row.id > std::numeric_limits<Xapian::docid>::max()) continue;
      if (!index) {
        char name[16];
        std::snprintf(name, sizeof name, "-%05zu", folders.size());
        folders.push_back(folder.string() + name);
        index = std::make_unique<Xapian::WritableDatabase>(folders.back().string(),
                                                           Xapian::DB_CREATE | Xapian::DB_NO_SYNC);
        generator = MakeGenerator(*index);
      }
      auto document = MakeDocument(row, *generator, /*spelling=*/false);
      for (const auto& word : TitleWords(row.title)) ++spellings[word];
      index->replace_document(static_cast<Xapian::docid>(row.id), document);
      ++count;
      if (++in_index == kBuildBatch) finish();
    }
    from = to;
  }
  finish();
  return folders;
}

}  // namespace

std::int64_t RebuildIndex(db::Database& database, const fs::path& dir) {
  fs::create_directories(dir);
  SearchRepository repository(database);
  const std::string stamp = StampName();
  const fs::path building = dir / ("building-" + stamp);
  const fs::path finished = dir / ("index-" + stamp);
  const std::int64_t start_seq = std::max(repository.SettledSeq(kSettle), repository.PrunedUpto());
  std::int64_t count = 0;
  try {
    // Fresh folders nobody reads yet: no fsync until the end, and batches in memory
    // (Xapian reads its flush threshold from the environment; an operator's value wins).
    // Small batches measured fastest: Xapian buffers postings in maps whose lookups miss
    // the CPU cache once they are large (4,000 took a third less CPU than 25,000).
    ::setenv("XAPIAN_FLUSH_THRESHOLD", std::to_string(kFlushThreshold).c_str(), 0);
    fs::create_directories(building);
    // Parts over consecutive id ranges, one thread each, then merged into one compact
    // index keeping the document ids (= video ids). A part needs a connection of its own
    // now and then, so there are no more parts than the pool has connections.
    const auto [low_id, high_id] = repository.VideoIdRange();
    std::size_t parts = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, kMaxBuildThreads);
    parts = std::min(parts, std::max<std::size_t>(database.pool_size(), 1));
    if (high_id - low_id < kBuildSlice) parts = 1;
    std::vector<std::vector<fs::path>> folders(parts);
    std::vector<std::int64_t> counts(parts, 0);
    std::vector<std::exception_ptr> errors(parts);
    std::vector<std::thread> threads;
    const std::int64_t span = high_id - (low_id - 1);
    for (std::size_t part = 0; part < parts; ++part) {
      const std::int64_t after = low_id - 1 + span * static_cast<std::int64_t>(part) / static_cast<std::int64_t>(parts);
      const std::int64_t upto =
          low_id - 1 + span * static_cast<std::int64_t>(part + 1) / static_cast<std::int64_t>(parts);
      threads.emplace_back([&, part, after, upto] {
        try {
          folders[part] = BuildPart(repository, building / ("part-" + std::to_string(part)), after, upto, counts[part]);
        } catch (...) {
          errors[part] = std::current_exception();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& error : errors)
      if (error) std::rethrow_exception(error);
    for (auto part_count : counts) count += part_count;

    const fs::path merged = building / "merged";
    Xapian::Database parts_together;
    std::size_t shards = 0;
    for (const auto& part_folders : folders)
      for (const auto& folder : part_folders) {
        parts_together.add_database(Xapian::Database(folder.string()));
        ++shards;
      }
    if (shards > 0) parts_together.compact(merged.string(), Xapian::DBCOMPACT_NO_RENUMBER);
    parts_together.close();
    {
      Xapian::WritableDatabase index(merged.string(), Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC);
      index.set_metadata(kLastSeqKey, std::to_string(start_seq));
      index.set_metadata(kFormatKey, kIndexFormat);
      index.commit();
      index.close();
    }
    ::sync();  // DB_NO_SYNC: make the finished index durable before it becomes current
    fs::rename(merged, finished);
    fs::remove_all(building);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    fs::remove_all(finished, ignored);
    throw;
  }
  const fs::path link = dir / ("current.tmp-" + stamp);
  fs::create_directory_symlink(finished.filename(), link);
  fs::rename(link, dir / "current");  // atomic: readers see the old or the new index
  return count;
}

// ---------- Suggester ----------

struct Suggester::Snapshot {
  struct Entry {
    std::string key;
    std::string text;
    std::int64_t score;
    bool tag;
  };
  std::vector<Entry> entries;
  // Top entries of prefixes with too many entries to scan, found on first use.
  mutable std::mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<std::uint32_t>> cache;
};

namespace {
constexpr std::size_t kScanLimit = 4096;
constexpr int kMaxSuggestions = 20;
}  // namespace

std::string Suggester::Normalize(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isspace(byte) || byte < 0x20) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(byte));
  }
  if (space) out += ' ';
  return out;
}

void Suggester::Upsert(std::int64_t video_id, const std::string& title, const std::vector<std::string>& tags,
                       std::int64_t views) {
  std::lock_guard lock(sources_mutex_);
  sources_[video_id] = Source{title, tags, views};
  changed_ = true;
}

void Suggester::Remove(std::int64_t video_id) {
  std::lock_guard lock(sources_mutex_);
  changed_ = sources_.erase(video_id) > 0 || changed_;
}

void Suggester::SetViews(std::int64_t video_id, std::int64_t views) {
  std::lock_guard lock(sources_mutex_);
  auto it = sources_.find(video_id);
  if (it == sources_.end() || it->second.views == views) return;
  it->second.views = views;
  changed_ = true;
}

void Suggester::Clear() {
  std::lock_guard lock(sources_mutex_);
  sources_.clear();
  changed_ = true;
}

void Suggester::RefreshIfChanged(bool now) {
  auto started = std::chrono::steady_clock::now();
  if (!now && started < next_refresh_) return;
  auto snapshot = std::make_shared<Snapshot>();
  {
    std::lock_guard lock(sources_mutex_);
    if (!changed_) return;
    changed_ = false;
    std::unordered_map<std::string, std::pair<std::string, std::int64_t>> tags;
    snapshot->entries.reserve(sources_.size() + sources_.size() / 4);
    for (const auto& [id, source] : sources_) {
      snapshot->entries.push_back({Normalize(source.title), source.title, source.views, false});
      for (const auto& tag : source.tags) {
        auto& entry = tags[Normalize(tag)];
        if (entry.first.empty()) entry.first = tag;
        entry.second += source.views + 1;  // a tag on many unwatched videos still ranks
      }
    }
    for (auto& [key, entry] : tags) snapshot->entries.push_back({key, std::move(entry.first), entry.second, true});
  }
  auto& entries = snapshot->entries;
  std::erase_if(entries, [](const Snapshot::Entry& entry) { return entry.key.empty(); });
  std::sort(entries.begin(), entries.end(), [](const Snapshot::Entry& a, const Snapshot::Entry& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.score > b.score;
  });
  // One suggestion per text: the most popular.
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const Snapshot::Entry& a, const Snapshot::Entry& b) { return a.key == b.key; }),
                entries.end());
  entries.shrink_to_fit();
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(snapshot);
  }
  // A large table (a million titles take about a second) is rebuilt less often.
  auto took = std::chrono::steady_clock::now() - started;
  next_refresh_ = std::chrono::steady_clock::now() + std::max<std::chrono::steady_clock::duration>(
                                                          std::chrono::milliseconds(500), took * 10);
}

std::vector<Suggestion> Suggester::Lookup(std::string_view prefix, int limit) const {
  std::string key = Normalize(prefix);
  if (key.empty()) return {};
  std::shared_ptr<Snapshot> snapshot;
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot = snapshot_;
  }
  if (!snapshot) return {};
  const auto& entries = snapshot->entries;
  auto first = std::lower_bound(entries.begin(), entries.end(), key,
                                [](const Snapshot::Entry& entry, const std::string& k) { return entry.key < k; });
  auto last = std::partition_point(first, entries.end(), [&](const Snapshot::Entry& entry) {
    return entry.key.compare(0, key.size(), key) == 0;
  });
  auto top = [&](std::size_t count) {
    std::vector<std::uint32_t> indexes;
    indexes.reserve(static_cast<std::size_t>(last - first));
    for (auto it = first; it != last; ++it) indexes.push_back(static_cast<std::uint32_t>(it - entries.begin()));
    auto middle = indexes.begin() + static_cast<std::ptrdiff_t>(std::min(count, indexes.size()));
    std::partial_sort(indexes.begin(), middle, indexes.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (entries[a].score != entries[b].score) return entries[a].score > entries[b].score;
      return a < b;
    });
    indexes.erase(middle, indexes.end());
    return indexes;
  };
  std::vector<std::uint32_t> best;
  if (static_cast<std::size_t>(last - first) <= kScanLimit) {
    best = top(static_cast<std::size_t>(limit));
  } else {
    std::lock_guard lock(snapshot->cache_mutex);
    auto it = snapshot->cache.find(key);
    if (it == snapshot->cache.end()) it = snapshot->cache.emplace(key, top(kMaxSuggestions)).first;
    best = it->second;
  }
  std::vector<Suggestion> suggestions;
  for (auto index : best) {
    if (static_cast<int>(suggestions.size()) >= limit) break;
    const auto& entry = entries[index];
    suggestions.push_back({entry.text, entry.tag ? "tag" : "title", entry.score});
  }
  return suggestions;
}

// ---------- SearchEngine ----------

SearchEngine::SearchEngine(db::Database& database, SearchOptions options)
    : database_(database), options_(std::move(options)), repository_(database) {}

SearchEngine::~SearchEngine() { Stop(); }

void SearchEngine::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void SearchEngine::Stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t SearchEngine::Rebuild() {
  auto count = RebuildIndex(database_, options_.dir);
  wake_.notify_all();
  return count;
}

void SearchEngine::Loop() {
  bool first = true;
  std::string last_error;
  for (;;) {
    {
      std::unique_lock lock(wake_mutex_);
      if (!first) wake_.wait_for(lock, options_.poll_interval, [this] { return stopping_; });
      if (stopping_) break;
    }
    first = false;
    try {
      if (OpenCurrent()) {
        if (writer_) {
          ApplyChanges();
          RefreshViews();
        } else {
          ++generation_;  // another process writes this folder: readers reopen to follow it
        }
        suggester_.RefreshIfChanged();
      }
      last_error.clear();
    } catch (const std::exception& e) {
      // Logged once per distinct error, not per poll (a database outage would repeat it).
      if (last_error != e.what()) spdlog::warn("search indexer: {}", e.what());
      last_error = e.what();
    } catch (const Xapian::Error& e) {
      // Not a std::exception: uncaught it would end the process (an index folder another
      // process removed, a full disk). The next poll tries again.
      const std::string message = e.get_description();
      if (last_error != message) spdlog::warn("search indexer: {}", message);
      last_error = message;
    }
  }
  if (writer_) {
    try {
      writer_->close();
    } catch (const Xapian::Error& e) {
      spdlog::warn("search indexer: closing the index: {}", e.get_description());
    }
  }
  writer_.reset();
}

bool SearchEngine::OpenCurrent() {
  auto target = CurrentIndexDir(options_.dir);
  if (target.empty()) {
    spdlog::info("search: no index in {}; building it from the database", options_.dir.string());
    auto started = std::chrono::steady_clock::now();
    auto count = RebuildIndex(database_, options_.dir);
    spdlog::info("search: indexed {} videos in {} ms", count,
                 std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                     .count());
    target = CurrentIndexDir(options_.dir);
    if (target.empty()) return false;
  }
  if (target == writer_dir_) return true;
  try {
    if (Xapian::Database(target.string()).get_metadata(kFormatKey) != kIndexFormat) {
      spdlog::info("search: {} was built by an older version; building a new index", target.string());
      RebuildIndex(database_, options_.dir);
      target = CurrentIndexDir(options_.dir);
      if (target.empty()) return false;
    }
  } catch (const Xapian::DatabaseError&) {
    // damaged: handled below
  }

  const fs::path previous = writer_dir_;
  const bool owned_previous = writer_ != nullptr;
  generator_.reset();
  if (writer_) writer_->close();
  writer_.reset();
  try {
    writer_ = std::make_unique<Xapian::WritableDatabase>(target.string(), Xapian::DB_OPEN);
  } catch (const Xapian::DatabaseLockError&) {
    spdlog::info("search: another process keeps {} up to date; this one only reads it", target.string());
  } catch (const Xapian::DatabaseError& e) {
    // Damaged (a crash mid-write, a full disk): start over from the database.
    spdlog::warn("search: cannot open {} ({}); rebuilding it", target.string(), e.get_description());
    std::error_code ignored;
    fs::remove(options_.dir / "current", ignored);
    writer_dir_.clear();
    return false;
  }
  writer_dir_ = target;
  Xapian::Database reader(target.string());
  std::int64_t last_seq = 0;
  try {
    last_seq = std::stoll(reader.get_metadata(kLastSeqKey));
  } catch (const std::exception&) {
    last_seq = 0;
  }
  applied_seq_ = last_seq;
  seen_above_.clear();
  gap_since_.reset();
  if (writer_) generator_ = MakeGenerator(*writer_);
  views_checked_ms_ = SystemNowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(kSettle).count();
  next_views_refresh_ = std::chrono::steady_clock::now();
  LoadSuggestions(reader);
  {
    std::lock_guard lock(readers_mutex_);
    current_dir_ = target;
    free_readers_.clear();
  }
  ++generation_;
  std::error_code ignored;
  if (owned_previous && !previous.empty()) fs::remove_all(previous, ignored);
  if (previous.empty() && writer_) {
    // First open in this process: earlier indexes left behind (a crash mid-swap) go.
    for (const auto& entry : fs::directory_iterator(options_.dir, ignored)) {
      auto name = entry.path().filename().string();
      if (name.starts_with("index-") && entry.path() != target) fs::remove_all(entry.path(), ignored);
    }
  }
  spdlog::info("search: serving {} ({} documents, change log applied up to {})", target.string(),
               reader.get_doccount(), last_seq);
  return true;
}

void SearchEngine::LoadSuggestions(Xapian::Database& database) {
  suggester_.Clear();
  for (auto it = database.postlist_begin(""); it != database.postlist_end(""); ++it) {
    auto document = database.get_document(*it);
    auto fields = Split(document.get_data(), kFieldSeparator);
    if (fields.empty()) continue;
    auto views = static_cast<std::int64_t>(Xapian::sortable_unserialise(document.get_value(kSlotViews)));
    suggester_.Upsert(*it, fields[0], fields.size() > 1 ? Split(fields[1], kTagSeparator) : std::vector<std::string>{},
                      views);
  }
  suggester_.RefreshIfChanged(true);
}

void SearchEngine::ApplyChanges() {
  if (repository_.PrunedUpto() > applied_seq_) {
    spdlog::warn("search: the change log was pruned past this index ({}); rebuilding", applied_seq_.load());
    RebuildIndex(database_, options_.dir);
    return;  // the next poll switches to it
  }
  std::int64_t applied = applied_seq_;
  bool changed_documents = false;
  for (const auto& change : repository_.ChangesAfter(applied, kChangeBatch)) {
    if (seen_above_.contains(change.seq)) continue;
    if (change.video_id) ApplyVideo(*change.video_id);
    if (change.owner_id) ApplyOwner(*change.owner_id);
    seen_above_[change.seq] = true;
    changed_documents = true;
  }
  // Advance over what is applied without a hole. A hole is a seq taken by a transaction
  // not yet committed (PostgreSQL) or rolled back: wait gap_wait for it, then pass it.
  for (;;) {
    auto it = seen_above_.begin();
    if (it == seen_above_.end()) {
      gap_since_.reset();
      break;
    }
    if (it->first <= applied + 1) {
      applied = std::max(applied, it->first);
      seen_above_.erase(it);
      gap_since_.reset();
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (!gap_since_) gap_since_ = now;
    if (now - *gap_since_ < options_.gap_wait) break;
    applied = it->first - 1;
    gap_since_.reset();
  }
  if (changed_documents || applied != applied_seq_) {
    writer_->set_metadata(kLastSeqKey, std::to_string(applied));
    dirty_ = true;
  }
  Commit();
  applied_seq_ = applied;
  auto now = std::chrono::steady_clock::now();
  if (now >= next_prune_) {
    next_prune_ = now + std::chrono::minutes(10);
    repository_.Prune(options_.change_retention);
  }
}

void SearchEngine::Commit() {
  if (!dirty_) return;
  writer_->commit();
  dirty_ = false;
  ++generation_;
}

void SearchEngine::ApplyVideo(std::int64_t id) {
  if (id <= 0 || id > std::numeric_limits<Xapian::docid>::max()) return;
  auto docid = static_cast<Xapian::docid>(id);
  auto row = repository_.LoadVideo(id);
  if (row && row->searchable) {
    writer_->replace_document(docid, MakeDocument(*row, *generator_));
    suggester_.Upsert(id, row->title, row->tags, row->views);
  } else {
    try {
      writer_->delete_document(docid);
    } catch (const Xapian::DocNotFoundError&) {
      // not in the index: nothing to remove
    }
    suggester_.Remove(id);
  }
  dirty_ = true;
}

void SearchEngine::ApplyOwner(std::int64_t owner_id) {
  auto ids = repository_.VideoIdsOfOwner(owner_id);
  const std::string term = "XO" + std::to_string(owner_id);
  for (auto it = writer_->postlist_begin(term); it != writer_->postlist_end(term); ++it) ids.push_back(*it);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (auto id : ids) ApplyVideo(id);
}

void SearchEngine::RefreshViews() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_views_refresh_) return;
  next_views_refresh_ = now + options_.views_refresh_interval;
  // Marks are written with the database's clock inside transactions that may commit a
  // little later: look back a few seconds past the last check.
  const std::int64_t checked = SystemNowMs();
  for (const auto& count : repository_.ViewsChangedSince(views_checked_ms_ - 5000)) {
    if (count.video_id <= 0 || count.video_id > std::numeric_limits<Xapian::docid>::max()) continue;
    auto docid = static_cast<Xapian::docid>(count.video_id);
    try {
      auto document = writer_->get_document(docid);
      auto value = Xapian::sortable_serialise(static_cast<double>(count.views));
      const std::string old_value = document.get_value(kSlotViews);
      if (old_value == value) continue;
      document.add_value(kSlotViews, value);
      // The views bucket term follows the value (sorting by views relies on it).
      const auto old_views = static_cast<std::int64_t>(Xapian::sortable_unserialise(old_value));
      if (ViewBucketOf(old_views) != ViewBucketOf(count.views)) {
        try {
          document.remove_term(ViewTerm(ViewBucketOf(old_views)));
        } catch (const Xapian::InvalidArgumentError&) {
          // not there
        }
        document.add_boolean_term(ViewTerm(ViewBucketOf(count.views)));
      }
      writer_->replace_document(docid, document);
      suggester_.SetViews(count.video_id, count.views);
      dirty_ = true;
    } catch (const Xapian::DocNotFoundError&) {
      // not searchable
    }
  }
  views_checked_ms_ = checked;
  Commit();
}

// ---------- reading ----------

std::unique_ptr<SearchEngine::Reader> SearchEngine::AcquireReader() {
  std::unique_ptr<Reader> reader;
  fs::path dir;
  {
    std::lock_guard lock(readers_mutex_);
    dir = current_dir_;
    if (!free_readers_.empty()) {
      reader = std::move(free_readers_.back());
      free_readers_.pop_back();
    }
  }
  if (dir.empty()) throw Unavailable("search_unavailable", "Search is starting up. Try again in a moment.");
  const std::uint64_t generation = generation_.load();
  if (reader && reader->dir != dir) reader.reset();
  if (!reader) return std::make_unique<Reader>(Reader{dir, generation, Xapian::Database(dir.string())});
  if (reader->generation != generation) {
    reader->database.reopen();
    reader->generation = generation;
  }
  return reader;
}

void SearchEngine::ReleaseReader(std::unique_ptr<Reader> reader) {
  std::lock_guard lock(readers_mutex_);
  if (reader->dir == current_dir_ && free_readers_.size() < 64) free_readers_.push_back(std::move(reader));
}

SearchResult SearchEngine::Search(const SearchQuery& query) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Reader> reader;
    try {
      reader = AcquireReader();
      SearchResult result = RunSearch(*reader, query);
      ReleaseReader(std::move(reader));
      return result;
    } catch (const Xapian::DatabaseModifiedError&) {
      // The indexer committed twice while this search ran: reopen and run it again.
      if (attempt >= 3) throw Unavailable("search_unavailable", "Search is busy. Try again in a moment.");
    } catch (const Xapian::DatabaseOpeningError&) {
      // The index was swapped (reindex) and the old folder removed under us.
      if (attempt >= 3) throw Unavailable("search_unavailable", "Search is being rebuilt. Try again in a moment.");
    } catch (const Xapian::Error& e) {
      // Not a std::exception: say what it was, for the log.
      throw std::runtime_error("search: " + e.get_description());
    }
  }
}

SearchResult SearchEngine::RunSearch(Reader& reader, const SearchQuery& query) {
  return SearchIndex(reader.database, query, tuning_);
}

namespace {

// BM25 without document-length normalisation (b = 0; k1 = 1 as Xapian's default). A
// video's words are its title (weighted five times), tags, channel and a description, so
// a long description hardly needs damping, and without lengths Xapian can stop once the
// page is full of the best possible scores instead of reading the length of every match:
// a word in 14,000 of 950,000 videos took 6.0 ms at p50 with b = 0.5, 0.33 ms with b = 0
// (bench/README.md).
Xapian::Enquire MakeEnquire(const Xapian::Database& database, const Xapian::Query& query) {
  Xapian::Enquire enquire(database);
  enquire.set_query(query);
  enquire.set_weighting_scheme(Xapian::BM25Weight(1, 0, 1, 0, 0.5));
  return enquire;
}

}  // namespace

SearchResult SearchIndex(const Xapian::Database& database, const SearchQuery& query, const SearchTuning& tuning) {
  Xapian::QueryParser parser;
  parser.set_database(database);
  parser.set_stemmer(EnglishStem());
  parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  parser.set_default_op(Xapian::Query::OP_AND);
  parser.add_prefix("title", "S");
  parser.add_prefix("channel", "A");
  parser.add_boolean_prefix("tag", (new TagFieldProcessor)->release());

  SearchResult result;
  Xapian::Query text_query = MatchAll();
  std::string trimmed = Trim(query.text);
  unsigned parse_flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_PURE_NOT;
  if (!trimmed.empty()) {
    try {
      text_query = parser.parse_query(trimmed, parse_flags);
    } catch (const Xapian::QueryParserError&) {
      // Syntax it cannot make sense of ("AND", '"', "tag:"): take every word literally.
      parse_flags = 0;
      try {
        text_query = parser.parse_query(trimmed, parse_flags);
      } catch (const Xapian::QueryParserError&) {
        throw InvalidInput("invalid_query", "This search could not be understood. Try plain words.");
      }
    }
    if (text_query.empty()) text_query = Xapian::Query();  // nothing to look for: no results
  }

  std::vector<Xapian::Query> filters;
  ExactRanges exact;
  for (const auto& tag : query.tags) filters.emplace_back(TagTerm(tag));
  // Ranges as bucket terms (exact: only documents of the edge buckets have their value read).
  if (query.published_after_ms || query.published_before_ms) {
    std::int64_t low = query.published_after_ms ? SaturatingAdd(*query.published_after_ms, 1) : kNoLow;
    std::int64_t high = query.published_before_ms ? SaturatingAdd(*query.published_before_ms, -1) : kNoHigh;
    filters.push_back(DateRangeQuery(database, low, high, exact));
  }
  if (query.min_duration_ms || query.max_duration_ms)
    filters.push_back(DurationRangeQuery(database, query.min_duration_ms.value_or(kNoLow),
                                         query.max_duration_ms.value_or(kNoHigh), exact));
  Xapian::Query final_query = text_query;
  if (!filters.empty())
    final_query = Xapian::Query(Xapian::Query::OP_FILTER, text_query,
                                Xapian::Query(Xapian::Query::OP_AND, filters.begin(), filters.end()));

  const auto first = static_cast<Xapian::doccount>(query.offset);
  const auto wanted = static_cast<Xapian::doccount>(query.limit);
  auto add_hits = [&](const Xapian::MSet& mset) {
    for (auto it = mset.begin(); it != mset.end(); ++it) result.hits.push_back(MakeHit(mset, it, !trimmed.empty()));
  };
  Xapian::Enquire enquire = MakeEnquire(database, final_query);
  if (query.sort == SortOrder::kRelevance) {
    Xapian::MSet mset = enquire.get_mset(first, wanted, 0, nullptr, exact.decider());
    result.total_estimate = mset.get_matches_estimated();
    add_hits(mset);
  } else {
    const Xapian::valueno slot = query.sort == SortOrder::kDate ? kSlotPublished : kSlotViews;
    // Sorting by a value reads it for every match. Past a few thousand matches, go
    // through the value's buckets from the top instead, sorting within each bucket, until
    // the page is full: the same order (a bucket holds a contiguous range of values),
    // at the cost of a few small searches. The total is then Xapian's estimate.
    Xapian::MSet estimate = enquire.get_mset(0, 0, 0, nullptr, exact.decider());
    result.total_estimate = estimate.get_matches_estimated();
    std::vector<std::string> buckets;
    if (estimate.get_matches_upper_bound() > tuning.value_sort_scan_limit)
      buckets = query.sort == SortOrder::kDate ? DateBucketsNewestFirst(database) : ViewBucketsHighestFirst(database);
    if (buckets.empty()) {
      enquire.set_sort_by_value_then_relevance(slot, true);
      Xapian::MSet mset = enquire.get_mset(first, wanted, 0, nullptr, exact.decider());
      result.total_estimate = mset.get_matches_estimated();  // exact: every match was looked at
      add_hits(mset);
    } else {
      Xapian::doccount skip = first, need = wanted, seen = 0;
      for (const auto& term : buckets) {
        if (need == 0) break;
        Xapian::Enquire bucket =
            MakeEnquire(database, Xapian::Query(Xapian::Query::OP_FILTER, final_query, Xapian::Query(term)));
        bucket.set_sort_by_value_then_relevance(slot, true);
        Xapian::MSet mset = bucket.get_mset(skip, need, skip + need, nullptr, exact.decider());
        add_hits(mset);
        if (mset.size() == need) {
          seen += skip + need;
          need = 0;
          break;
        }
        // Fewer than asked for: this bucket was looked through, its count is exact.
        const Xapian::doccount in_bucket = mset.get_matches_lower_bound();
        seen += in_bucket;
        skip -= std::min(skip, in_bucket);
        need -= static_cast<Xapian::doccount>(mset.size());
      }
      // Never less than what was seen (the estimate can fall short).
      result.total_estimate = std::max<std::int64_t>(result.total_estimate, seen);
    }
  }
  // Spelling correction searches the spelling table for every word it does not know,
  // which costs more than most searches: only when this one finds next to nothing (Xapian
  // would also propose a more frequent neighbour of a word it knows).
  if (!trimmed.empty() && result.total_estimate < kFewResults) {
    try {
      parser.parse_query(trimmed, parse_flags | Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
      result.did_you_mean = parser.get_corrected_query_string();
      if (result.did_you_mean == trimmed) result.did_you_mean.clear();
    } catch (const Xapian::QueryParserError&) {
      result.did_you_mean.clear();
    }
  }
  return result;
}

std::vector<Suggestion> SearchEngine::Suggest(std::string_view prefix, int limit) const {
  return suggester_.Lookup(prefix, limit);
}

}  // namespace monotube::search
