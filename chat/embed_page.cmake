# Writes OUT: a C++ file defining chosei::FUNCTION() (declared in chat/web_page.h) that
# returns the file IN, so the server needs no files at run time.
file(READ ${IN} text)
get_filename_component(_name ${IN} NAME)
file(WRITE ${OUT}.tmp "// Generated from chat/web/${_name} by chat/embed_page.cmake.
#include \"chat/web_page.h\"

namespace chosei {

const std::string& ${FUNCTION}() {
  static const std::string page = R\"chosei_page(${text})chosei_page\";
  return page;
}

}  // namespace chosei
")
file(RENAME ${OUT}.tmp ${OUT})
