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
  // Files first, status last: whoever sees "failed" finds nothing of the video stored
  // (what storage could not delete now, a purge job removes later).
  auto fail = [&](const std::string& reason) {
    scratch.reset();
    spdlog::info("video {} failed: {}", video.public_id, reason);
    repository_.ClearChunks(video.id);
    PurgeStorage(prefix);
    repository_.MarkFailed(video.id, reason, clock_.NowMs());
  };

  try {
    // 1. Whatever an interrupted run published half-way is not referenced: remove it.
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

}  // namespace monotube::videos
