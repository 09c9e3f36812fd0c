#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace paypipe::infra::http_client::internal {

// Owners of libcurl handles.

struct CurlEasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends a copy of `line`; false when libcurl could not allocate (the list is unchanged).
[[nodiscard]] inline bool Append(CurlSlist& list, const std::string& line) {
  curl_slist* extended = curl_slist_append(list.get(), line.c_str());
  if (extended == nullptr) return false;
  // curl_slist_append returns the head it was given (or a new one for an empty list).
  (void)list.release();
  list.reset(extended);
  return true;
}

}  // namespace paypipe::infra::http_client::internal
