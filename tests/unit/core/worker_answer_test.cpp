// The one vocabulary of the workers' answers: every code of docs/protocol.md §3 maps to its enum.
#include "hunter/core/worker_answer.hpp"

#include <gtest/gtest.h>

using namespace hunter;
using namespace hunter::core;

TEST(WorkerAnswer, WholeCallFailures) {
  struct Case {
    const char* code;
    WorkerFailure failure;
  };
  for (auto c :
       {Case{"timeout", WorkerFailure::kTransport}, Case{"unreachable", WorkerFailure::kTransport},
        Case{"bad_response", WorkerFailure::kTransport},
        Case{"http_502", WorkerFailure::kTransport},
        Case{"response_too_large", WorkerFailure::kResponseTooLarge},
        Case{"stopped", WorkerFailure::kStopped},
        Case{"incompatible", WorkerFailure::kIncompatible},
        Case{"unknown_cluster", WorkerFailure::kUnknownCluster},
        Case{"bad_request", WorkerFailure::kOther}, Case{"Stopped", WorkerFailure::kOther}}) {
    EXPECT_EQ(workerFailureOf(makeError(c.code, "x")), c.failure) << c.code;
  }
}

TEST(WorkerAnswer, ItemRefusals) {
  EXPECT_EQ(itemRefusalOf("unknown_sn"), ItemRefusal::kUnknownSn);
  EXPECT_EQ(itemRefusalOf("diverged"), ItemRefusal::kDiverged);
  EXPECT_EQ(itemRefusalOf(""), ItemRefusal::kOther);
  EXPECT_EQ(itemRefusalOf("busy"), ItemRefusal::kOther);
}

TEST(WorkerAnswer, SignatureFaultsAreWrittenAsTheAuditCodes) {
  EXPECT_EQ(toString(SignatureFault::kUnrecoverable), "bad_signature");
  EXPECT_EQ(toString(SignatureFault::kNotRegistered), "not_registered");
}
