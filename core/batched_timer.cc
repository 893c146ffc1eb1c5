#include "core/batched_timer.h"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/internal/batched_timer_state.h"
#include "core/internal/duration.h"

namespace txaio {
namespace {

std::string DescribeErrors(const std::vector<Failure>& failures) {
  std::string text =
      absl::StrCat(failures.size(), " error(s) processing call_later bucket:");
  for (const Failure& failure : failures) {
    absl::StrAppend(&text, "\n", failure_message(failure));
  }
  return text;
}

int64_t CheckedChunkSize(int64_t chunk_size) {
  if (chunk_size <= 0) {
    throw std::invalid_argument(absl::StrCat(
        "make_batched_timer: chunk_size must be > 0, got ", chunk_size));
  }
  return chunk_size;
}

// Buckets follow the delay rule, from 1 ns instead of 0.
int64_t CheckedBucketNs(absl::Duration bucket) {
  if (bucket < absl::Nanoseconds(1) || bucket > internal::kMaxDelay) {
    internal::ThrowBadDelay("make_batched_timer",
                            absl::StrCat(absl::FormatDuration(bucket), " (",
                                         absl::ToDoubleSeconds(bucket), " s)"),
                            "seconds_per_bucket", "1e-09 (1 ns)");
  }
  return absl::ToInt64Nanoseconds(bucket);
}

absl::Duration BucketFromSeconds(double seconds) {
  // Checked as a double: 1e-10 s would become a zero Duration. Also false
  // for NaN.
  if (!(seconds >= 1e-9 && seconds <= internal::kMaxDelaySeconds)) {
    internal::ThrowBadDelay("make_batched_timer", absl::StrCat(seconds),
                            "seconds_per_bucket", "1e-09 (1 ns)");
  }
  return absl::Seconds(seconds);
}

}  // namespace

BatchedCallErrors::BatchedCallErrors(std::vector<Failure> failures)
    : std::runtime_error(DescribeErrors(failures)),
      failures_(std::move(failures)) {}

BatchedTimer::BatchedTimer(Loop& loop, absl::Duration bucket,
                           int64_t chunk_size)
    : state_(new internal::BatchedTimerState(loop, CheckedBucketNs(bucket),
                                             CheckedChunkSize(chunk_size))) {}

BatchedTimer::BatchedTimer(Loop& loop, double seconds_per_bucket,
                           int64_t chunk_size)
    : BatchedTimer(loop, BucketFromSeconds(seconds_per_bucket), chunk_size) {}

BatchedCall BatchedTimer::schedule(absl::Duration delay, Task task) {
  internal::BatchedTimerState& state = *state_.get();
  internal::BatchedReservation reservation(state, delay);
  return BatchedCall(state, reservation.commit(std::move(task)));
}

BatchedCall BatchedTimer::schedule_at(absl::Duration deadline, Task task) {
  internal::BatchedTimerState& state = *state_.get();
  internal::BatchedReservation reservation =
      internal::BatchedReservation::At(state, deadline);
  return BatchedCall(state, reservation.commit(std::move(task)));
}

void BatchedTimer::set_error_handler(BatchedErrorHandler handler) {
  state_.get()->set_error_handler(std::move(handler));
}

size_t BatchedTimer::pending() const { return state_.get()->pending(); }

size_t BatchedTimer::loop_timers() const { return state_.get()->loop_timers(); }

absl::Duration BatchedTimer::seconds_per_bucket() const {
  return absl::Nanoseconds(state_.get()->bucket_ns());
}

int64_t BatchedTimer::chunk_size() const { return state_.get()->chunk_size(); }

Loop& BatchedTimer::loop() const { return state_.get()->loop(); }

BatchedTimer make_batched_timer(double seconds_per_bucket, int64_t chunk_size) {
  return BatchedTimer(default_loop(), seconds_per_bucket, chunk_size);
}

BatchedTimer make_batched_timer(Loop& loop, double seconds_per_bucket,
                                int64_t chunk_size) {
  return BatchedTimer(loop, seconds_per_bucket, chunk_size);
}

BatchedTimer make_batched_timer(const Api& api, double seconds_per_bucket,
                                int64_t chunk_size) {
  return BatchedTimer(api.loop(), seconds_per_bucket, chunk_size);
}

}  // namespace txaio
