#pragma once
// The server's web pages (chat/web/*.html, embedded at build time: the server needs no
// files and the pages make no requests but to the server itself).

#include <string>

namespace chosei {

const std::string& chat_page_html();         // GET /: the chat page
const std::string& label_page_html();        // GET /label: the annotator page
const std::string& label_admin_page_html();  // GET /label/admin: progress and agreement
const std::string& finetune_page_html();     // GET /fine-tuning: files, jobs, loss curves

}  // namespace chosei
