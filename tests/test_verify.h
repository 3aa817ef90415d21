// QVERIFY for Result/Status (core/base/result.h), printing the error: header only, so that a test
// of any library can use it without the rest of test_support.
#pragma once

#include <QtTest>

#define TINYLLM_VERIFY_OK(expr)                                                               \
  do {                                                                                        \
    const auto& tinyllm_r_ = (expr);                                                          \
    QVERIFY2(tinyllm_r_.ok(), tinyllm_r_.ok() ? "" : tinyllm_r_.error().to_string().c_str()); \
  } while (0)
