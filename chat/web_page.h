#pragma once
// The web chat page served at GET / (chat/web/index.html, embedded at build time: the
// server needs no files and the page makes no requests but to the server itself).

#include <string>

namespace chosei {

const std::string& chat_page_html();

}  // namespace chosei
