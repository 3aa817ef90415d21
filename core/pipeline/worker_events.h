// The names of the worker's JSON Lines events (docs/events.md), written once: the worker and the
// trainer make them, the CLI and the GUI read them. Plain constants, no libtorch, no Qt, no JSON
// library, so every side can include it (the tinyllm_worker_events interface library).
#pragma once

namespace tinyllm::events {

// Every event is an object whose kEvent field holds one of the names below.
inline constexpr const char* kEvent = "event";

inline constexpr const char* kConfig = "config";          // the settings overridden, echoed
inline constexpr const char* kStart = "start";            // model, memory, data, estimate
inline constexpr const char* kStep = "step";              // one optimizer step's numbers
inline constexpr const char* kVal = "val";                // a validation loss
inline constexpr const char* kSample = "sample";          // generated text (or ids)
inline constexpr const char* kCheckpoint = "checkpoint";  // a checkpoint folder was written
inline constexpr const char* kSkip = "skip";              // a step skipped by the NaN/spike guard
inline constexpr const char* kWarning = "warning";        // something to tell, training goes on
inline constexpr const char* kPaused = "paused";          // paused at a step boundary
inline constexpr const char* kResumed = "resumed";        // going on after a pause
inline constexpr const char* kDone = "done";              // the end, with its reason
inline constexpr const char* kError = "error";            // the end, failed

// The reasons a "done" event (and a checkpoint artifact's outcome) gives.
inline constexpr const char* kCompleted = "completed";      // all planned steps ran
inline constexpr const char* kEarlyStop = "early_stop";     // validation loss stopped improving
inline constexpr const char* kInterrupted = "interrupted";  // stopped (Stop, Ctrl-C) or killed

// Control messages the worker reads on stdin, one JSON object per line: {"control": "pause"}.
// They act at the next step boundary (a cooperative pause keeps other ranks' collectives alive).
inline constexpr const char* kControl = "control";
inline constexpr const char* kControlPause = "pause";
inline constexpr const char* kControlResume = "resume";
inline constexpr const char* kControlStop = "stop";

}  // namespace tinyllm::events
