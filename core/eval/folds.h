// k-fold evaluation over whole people: every subject's examples fall into one test fold, so a
// model is never tested on a person it was trained on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::eval {

struct Fold {
  int fold = 0;                            // 0-based
  std::vector<std::string> test_subjects;  // sorted
  // Recordings of unknown people held out whole in this fold (only with `recordings`), sorted.
  std::vector<std::string> test_recordings;
  std::vector<size_t> train;  // example indices, ascending
  std::vector<size_t> test;   // example indices, ascending
};

// `subjects` holds the subject of every example (train, val and test pooled). Subjects go to
// folds largest first, each to the fold with the fewest examples so far (ties: the lower fold;
// equal-sized subjects in name order), which balances folds by example count and is
// deterministic. Errors: k < 2, an example without a subject, fewer subjects than folds.
//
// With `recordings` (the series of every example), an example whose person is not known is held
// out with its whole recording instead, as the prepared split does (data/split.h): recordings
// are units like people, so a window never has a neighbour of its own recording on the other
// side. (Such a recording may still be a tested person's: the report says how many there are.)
Result<std::vector<Fold>> subject_folds(const std::vector<std::string>& subjects, int k,
                                        const std::vector<std::string>& recordings = {});

}  // namespace tinyllm::eval
