/* main() for bare-metal ports and the stdio port (ESP-IDF builds use app_main instead). */
#include "tg_run.h"

int main(void)
{
    tg_run();
}
