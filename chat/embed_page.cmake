# Writes OUT: a C++ file defining chosei::chat_page_html() from the file IN.
file(READ ${IN} text)
file(WRITE ${OUT}.tmp "// Generated from chat/web/index.html by chat/embed_page.cmake.
#include \"chat/web_page.h\"

namespace chosei {

const std::string& chat_page_html() {
  static const std::string page = R\"chosei_page(${text})chosei_page\";
  return page;
}

}  // namespace chosei
")
file(RENAME ${OUT}.tmp ${OUT})
