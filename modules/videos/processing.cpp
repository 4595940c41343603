// The processing job of one video: join the uploaded pieces, probe, transcode the
// whole ladder in one FFmpeg run, publish, mark ready. Crash-safe: outputs go to a new
// folder ("r-<token>/") that only becomes the video's media when the row says so, and
// a re-run first removes whatever an interrupted run left behind.
#include <filesystem>
#include <fstream>
#include <optional>

#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/ids.hpp"
#include "modules/transcoding/transcoding.hpp"
#include "modules/videos/videos_module.hpp"

namespace monotube::videos {
namespace {

namespace fs = std::filesystem;

// Removes a folder when the job ends, however it ends.
class ScratchDir {
 public:
  explicit ScratchDir(fs::path path) : path_(std::move(path)) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

// The video was deleted while it was being processed.
struct VideoGone {};

void CopyToFile(storage::ObjectStorage& storage, const std::string& key, const fs::path& file) {
  auto reader = storage.OpenReader(key);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::vector<char> buffer(1024 * 1024);
  while (std::size_t got = reader->Read(buffer.data(), buffer.size())) {
    out.write(buffer.data(), static_cast<std::streamsize>(got));
    if (!out) throw Unavailable("disk_full", "Writing the video to the scratch folder failed (disk full?).");
  }
  out.close();
  if (!out) throw Unavailable("disk_full", "Writing the video to the scratch folder failed (disk full?).");
}

std::string_view ContentTypeOf(const std::string& file) {
  auto type = MediaContentType(file);
  return type ? *type : std::string_view("application/octet-stream");
}

}  // namespace

void VideosModule::Transcode(jobs::JobContext& job) {
  std::int64_t id = job.payload().at("video_id").get<std::int64_t>();
  auto found = repository_.FindById(id);
  if (!found || found->status != kStatusProcessing) return;  // deleted, or done by an earlier run
  Video video = std::move(*found);
  const std::string prefix = StoragePrefix(video);
  // Scratch files go before the final status is written: whoever sees "ready" or "failed"
  // finds nothing of this run left on the local disk.
  std::optional<ScratchDir> scratch;
  // Files first, status last: whoever sees "failed" finds only the original stored, kept so
  // that an admin can retry (a later retention sweep or the video's deletion removes it).
  // Without a whole original (the pieces could not be joined) nothing is kept.
  auto fail = [&](const std::string& reason) {
    scratch.reset();
    bool keep = !video.original_key.empty();
    spdlog::info("video {} failed: {}{}", video.public_id, reason, keep ? " (its original is kept for a retry)" : "");
    repository_.ClearChunks(video.id);
    if (keep) RemoveAllBut(prefix, video.original_key);
    else PurgeStorage(prefix);
    repository_.MarkFailed(video.id, reason, keep, clock_.NowMs());
  };

  try {
    // 1. Whatever an interrupted (or failed, now retried) run published is not referenced: remove it.
    RemoveDerived(prefix);

    // 2. A tus upload arrives in pieces: join them into the original.
    if (video.original_key.empty()) {
      auto chunks = repository_.Chunks(video.id);
      std::string original = prefix + "original";
      auto writer = storage_.OpenWriter(original);
      std::vector<char> buffer(1024 * 1024);
      std::int64_t expected = 0;
      for (const auto& chunk : chunks) {
        if (chunk.offset != expected) throw std::runtime_error("the uploaded pieces do not line up");
        auto reader = storage_.OpenReader(chunk.object_key);
        while (std::size_t got = reader->Read(buffer.data(), buffer.size())) writer->Write(buffer.data(), got);
        expected += chunk.length;
      }
      writer->Commit();
      if (!repository_.MarkUploaded(video.id, original, expected, clock_.NowMs())) throw VideoGone{};
      repository_.ClearChunks(video.id);
      storage_.DeletePrefix(prefix + "upload/");
      video.original_key = original;
    }

    // 3. A local file for FFmpeg.
    scratch.emplace(options_.work_dir / video.public_id);
    fs::path input;
    if (auto local = storage_.LocalPath(video.original_key)) {
      input = *local;
    } else {
      input = scratch->path() / "original";
      CopyToFile(storage_, video.original_key, input);
    }
    if (fs::file_size(input) == 0) return fail("The file is empty.");

    // 4. Probe by content, then one FFmpeg run for the whole ladder.
    transcoding::ProbeLimits limits;
    limits.max_duration_seconds = options_.max_duration_seconds;
    transcoding::MediaInfo info;
    try {
      info = transcoding::Probe(input, limits);
    } catch (const transcoding::MediaRejected& rejected) {
      return fail(rejected.what());
    }
    fs::path output = scratch->path() / "out";
    fs::create_directories(output);
    transcoding::TranscodeOptions transcode;
    transcode.input = input;
    transcode.output_dir = output;
    transcode.ladder = transcoding::PlanLadder(info);
    bool gone = false;
    int reported = -1;
    auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(10);
    transcode.on_progress = [&](double percent) {
      // The row is updated about once a second; a missing row means the video was deleted.
      int rounded = std::clamp(static_cast<int>(percent), 0, 99);
      auto now = std::chrono::steady_clock::now();
      if (rounded == reported || now - last_report < std::chrono::seconds(1)) return;
      last_report = now;
      reported = rounded;
      if (!repository_.SetProgress(video.id, rounded, clock_.NowMs())) gone = true;
    };
    transcode.cancelled = [&] { return gone || job.cancelled(); };
    transcoding::TranscodeResult result;
    try {
      result = transcoding::Transcode(info, transcode);
    } catch (const transcoding::MediaRejected& rejected) {
      return fail(rejected.what());
    } catch (const transcoding::Cancelled&) {
      if (gone || !repository_.FindById(video.id)) throw VideoGone{};
      throw;  // the runner is stopping: the job goes back to the queue
    }
    if (gone) throw VideoGone{};

    // 5. Publish under a fresh folder, then point the row at it.
    std::string media_prefix = prefix + "r-" + RandomToken(6) + "/";
    std::uint64_t bytes = 0;
    for (const std::string& file : result.files) {
      if (job.cancelled()) throw transcoding::Cancelled();
      storage_.PutFile(media_prefix + file, output / file, {std::string(ContentTypeOf(file))});
      bytes += fs::file_size(output / file);
    }
    VideoRepository::Published published;
    published.media_prefix = media_prefix;
    published.duration_ms = static_cast<std::int64_t>(result.duration_seconds * 1000);
    published.width = info.width;
    published.height = info.height;
    for (const auto& r : result.renditions) published.renditions.push_back({r.name, r.width, r.height, r.bandwidth});
    published.storage_bytes = static_cast<std::int64_t>(bytes + fs::file_size(input));
    scratch.reset();
    if (!repository_.MarkReady(video.id, published, clock_.NowMs())) throw VideoGone{};
    if (auto ready = repository_.FindById(video.id)) NotifyChanged(*ready);
    spdlog::info("video {} is ready: {} rendition(s), {:.1f} s", video.public_id, published.renditions.size(),
                 result.duration_seconds);
  } catch (const VideoGone&) {
    // Deleted meanwhile: whatever this run stored after the deletion goes too.
    spdlog::info("video {} was deleted while processing; removing what was left", video.public_id);
    storage_.DeletePrefix(prefix);
  } catch (const transcoding::Cancelled&) {
    throw;
  } catch (const std::exception& e) {
    if (job.attempt() >= job.max_attempts() && !job.cancelled()) {
      fail("Processing failed repeatedly; please try uploading again.");
      spdlog::error("video {}: giving up after {} attempts: {}", video.public_id, job.attempt(), e.what());
      return;
    }
    throw;
  }
}

void VideosModule::RemoveDerived(const std::string& prefix) {
  std::string continuation;
  do {
    auto page = storage_.List(prefix, continuation);
    for (const auto& object : page.objects) {
      std::string_view rest = std::string_view(object.key).substr(prefix.size());
      if (rest == "original" || rest.starts_with("upload/")) continue;
      storage_.Delete(object.key);
    }
    continuation = page.continuation;
  } while (!continuation.empty());
}

void VideosModule::RemoveAllBut(const std::string& prefix, const std::string& keep) {
  try {
    std::string continuation;
    do {
      auto page = storage_.List(prefix, continuation);
      for (const auto& object : page.objects)
        if (object.key != keep) storage_.Delete(object.key);
      continuation = page.continuation;
    } while (!continuation.empty());
  } catch (const std::exception& e) {
    // Nothing references what is left: a retry's first step or the video's deletion removes it.
    spdlog::warn("removing the outputs under {} failed ({}); they go with a retry or the video", prefix, e.what());
  }
}

std::int64_t VideosModule::EnqueueTranscode(const Video& video) {
  return queue_.Enqueue(std::string(kTranscodeJob), {{"video_id", video.id}}, {.max_attempts = 3});
}

Video VideosModule::PrepareRetry(const Video& video) {
  if (video.status != kStatusFailed)
    throw Conflict("not_failed", "Only a video whose processing failed can be retried (this one is " + video.status +
                                     ").");
  auto original_missing = [] {
    return Conflict("original_missing",
                    "The original file of this video is no longer stored, so it cannot be processed again; its "
                    "owner has to upload it again.");
  };
  if (video.original_key.empty() || !storage_.Stat(video.original_key)) throw original_missing();
  if (!repository_.MarkRetrying(video.id, clock_.NowMs())) {
    // Changed meanwhile: retried by someone else, deleted, or its original swept.
    auto now = repository_.FindById(video.id);
    if (!now) throw NotFound("video_not_found", "There is no such video.");
    if (now->status != kStatusFailed) throw Conflict("not_failed", "This video is " + now->status + " now.");
    throw original_missing();
  }
  spdlog::info("video {} goes back to processing (retry)", video.public_id);
  auto updated = repository_.FindById(video.id);
  if (!updated) throw NotFound("video_not_found", "There is no such video.");
  return std::move(*updated);
}

std::size_t VideosModule::PurgeFailedOriginals() {
  std::int64_t before = clock_.NowMs() - options_.failed_original_retention.count();
  std::size_t purged = 0;
  for (const Video& video : repository_.FailedWithOriginalBefore(before, 100)) {
    // The row first: once it names no original, no retry can start from a file being removed.
    if (!repository_.ForgetOriginal(video.id, clock_.NowMs())) continue;
    spdlog::info("removing the original of video {}, failed more than {} day(s) ago", video.public_id,
                 std::chrono::duration_cast<std::chrono::hours>(options_.failed_original_retention).count() / 24);
    PurgeStorage(StoragePrefix(video));
    ++purged;
  }
  return purged;
}

}  // namespace monotube::videos
