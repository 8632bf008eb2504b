#pragma once
// Text placed into HTML (reports, pages) as text: &, <, > and " escaped, so that a
// prompt or an answer can never become markup.

#include <string>

namespace chosei {

std::string html_escape(const std::string& text);

}  // namespace chosei
