#include "modules/search/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>
#include <soci/soci.h>

#include "monotube/errors.hpp"
#include "monotube/ids.hpp"

namespace monotube::search {
namespace {

constexpr std::size_t kBatch = 5000;
constexpr std::int64_t kYearMs = 365LL * 24 * 3600 * 1000;

std::vector<std::string> ReadWords(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw InvalidInput("cannot read the word list " + file.string() + " (Debian package wamerican)");
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 3 || line.size() > 10) continue;
    if (!std::all_of(line.begin(), line.end(), [](char c) { return c >= 'a' && c <= 'z'; })) continue;
    words.push_back(line);
  }
  if (words.size() < 1000) throw InvalidInput("the word list " + file.string() + " has too few plain words");
  return words;
}

// Picks items with Zipf-like popularity: weight 1 / (rank + offset).
class Zipf {
 public:
  Zipf(std::size_t count, double offset) {
    std::vector<double> weights(count);
    for (std::size_t i = 0; i < count; ++i) weights[i] = 1.0 / (static_cast<double>(i) + offset);
    distribution_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  }
  std::size_t operator()(std::mt19937_64& random) { return distribution_(random); }

 private:
  std::discrete_distribution<std::size_t> distribution_;
};

std::string Capitalized(std::string word) {
  if (!word.empty()) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

}  // namespace

CatalogResult GenerateCatalog(db::Database& database, const CatalogOptions& options,
                              const std::function<void(const std::string&)>& progress) {
  if (options.videos < 0 || options.users < 1) throw InvalidInput("--users must be at least 1");
  std::mt19937_64 random(options.seed);
  auto words = ReadWords(options.words_file);
  std::shuffle(words.begin(), words.end(), random);  // popularity unrelated to spelling
  Zipf word_pick(words.size(), 50);
  const std::size_t tag_count = std::min<std::size_t>(3000, words.size());
  Zipf tag_pick(tag_count, 5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto between = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };
  const std::int64_t now = options.now_ms;
  CatalogResult result;

  long long before_seq = 0, first_user = 0;
  // Random keys (public ids, dates, views) land all over the indexes: with SQLite's
  // default 2 MB page cache a million rows take ten times longer. Set on whichever pooled
  // connection runs a batch (a pragma, not a transaction, so it stays set).
  auto big_cache = [](soci::session& session) {
    if (db::DialectOf(session) == db::Dialect::kSqlite) session << "PRAGMA cache_size = -1048576";
  };
  database.WithSession([&](soci::session& session) {
    session << "SELECT COALESCE(MAX(seq), 0) FROM search_changes", soci::into(before_seq);
    session << "SELECT COALESCE(MAX(id), 0) FROM users", soci::into(first_user);
  });

  // Users: channels named from two words; they cannot log in (the hash is no hash).
  for (std::int64_t done = 0; done < options.users;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(kBatch, options.users - done));
    std::vector<std::string> public_ids(n), usernames(n), lowers(n), emails(n), display_names(n);
    std::vector<long long> created(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& a = words[word_pick(random)];
      const std::string& b = words[word_pick(random)];
      std::string number = std::to_string(first_user + done + static_cast<std::int64_t>(i) + 1);
      public_ids[i] = NewPublicId();
      usernames[i] = (a + "_" + b).substr(0, 20) + number;
      lowers[i] = usernames[i];
      emails[i] = "gen" + number + "@catalog.invalid";
      display_names[i] = Capitalized(a) + " " + Capitalized(b);
      created[i] = now - static_cast<std::int64_t>(unit(random) * 6 * kYearMs);
    }
    database.WithSession(big_cache);
    database.InTransaction([&](soci::session& session) {
      session << "INSERT INTO users (public_id, username, username_lower, email, email_lower, password_hash, role, "
                 "display_name, suspended, created_at, updated_at) VALUES (:public_id, :username, :lower, :email, "
                 ":email_lower, '!generated', 'creator', :display_name, 0, :created_at, :updated_at)",
          soci::use(public_ids), soci::use(usernames), soci::use(lowers), soci::use(emails), soci::use(emails),
          soci::use(display_names), soci::use(created), soci::use(created);
    });
    done += static_cast<std::int64_t>(n);
    result.users = done;
    if (done % 100000 < static_cast<std::int64_t>(kBatch) || done == options.users)
      progress(std::to_string(done) + " users");
  }
  std::vector<long long> user_ids;
  database.WithSession([&](soci::session& session) {
    long long id = 0, after = first_user;
    soci::statement statement =
        (session.prepare << "SELECT id FROM users WHERE id > :after ORDER BY id", soci::into(id), soci::use(after));
    statement.execute();
    while (statement.fetch()) user_ids.push_back(id);
  });
  std::shuffle(user_ids.begin(), user_ids.end(), random);
  Zipf owner_pick(user_ids.size(), 20);  // a few channels have many videos

  for (std::int64_t done = 0; done < options.videos;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(kBatch, options.videos - done));
    std::vector<std::string> public_ids(n), titles(n), descriptions(n), tags(n), visibilities(n), prefixes(n);
    std::vector<long long> owners(n), durations(n), views(n), likes(n), published(n);
    for (std::size_t i = 0; i < n; ++i) {
      public_ids[i] = NewPublicId();
      owners[i] = user_ids[owner_pick(random)];
      std::string title;
      for (int w = between(2, 7); w > 0; --w) {
        if (!title.empty()) title += ' ';
        title += words[word_pick(random)];
      }
      titles[i] = Capitalized(title);
      std::string description;
      for (int w = between(8, 40); w > 0; --w) {
        if (!description.empty()) description += ' ';
        description += words[word_pick(random)];
      }
      descriptions[i] = Capitalized(description) + ".";
      nlohmann::json tag_list = nlohmann::json::array();
      for (int t = between(0, 5); t > 0; --t) {
        const std::string& tag = words[tag_pick(random)];
        if (std::find(tag_list.begin(), tag_list.end(), tag) == tag_list.end()) tag_list.push_back(tag);
      }
      tags[i] = tag_list.dump();
      double v = unit(random);
      visibilities[i] = v < 0.95 ? "public" : v < 0.98 ? "unlisted" : "private";
      prefixes[i] = "videos/" + public_ids[i] + "/generated/";
      // 5 s to 3 h, log-uniform: many short videos, a long tail of long ones.
      durations[i] = static_cast<long long>(std::exp(std::log(5000.0) + unit(random) * std::log(3 * 3600 * 1000 / 5000.0)));
      views[i] = static_cast<long long>(std::pow(10.0, 7.0 * std::pow(unit(random), 2.5))) - 1;
      likes[i] = views[i] / between(20, 100);
      published[i] = now - static_cast<std::int64_t>(unit(random) * 5 * kYearMs);
    }
    database.WithSession(big_cache);
    database.InTransaction([&](soci::session& session) {
      session << "INSERT INTO videos (public_id, owner_id, title, description, tags, visibility, status, progress, "
                 "media_prefix, duration_ms, width, height, renditions, views, likes, created_at, updated_at, "
                 "published_at) VALUES (:public_id, :owner_id, :title, :description, :tags, :visibility, 'ready', 100, "
                 ":media_prefix, :duration_ms, 1280, 720, '[]', :views, :likes, :created_at, :updated_at, "
                 ":published_at)",
          soci::use(public_ids), soci::use(owners), soci::use(titles), soci::use(descriptions), soci::use(tags),
          soci::use(visibilities), soci::use(prefixes), soci::use(durations), soci::use(views), soci::use(likes),
          soci::use(published), soci::use(published), soci::use(published);
    });
    done += static_cast<std::int64_t>(n);
    result.videos = done;
    if (done % 100000 < static_cast<std::int64_t>(kBatch) || done == options.videos)
      progress(std::to_string(done) + " videos");
  }

  // The inserts logged one change each: rather than have every index replay them one by
  // one, drop them and say so (an index behind the pruned horizon rebuilds).
  database.InTransaction([&](soci::session& session) {
    long long max_seq = 0;
    session << "SELECT COALESCE(MAX(seq), 0) FROM search_changes", soci::into(max_seq);
    if (max_seq > before_seq) {
      session << "DELETE FROM search_changes WHERE seq > :before", soci::use(before_seq);
      session << "INSERT INTO search_state (name, value) VALUES ('pruned_upto', :upto) "
                 "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          soci::use(max_seq);
    }
  });
  return result;
}

}  // namespace monotube::search
