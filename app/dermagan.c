/* dermagan: the GTK 4 application.  Everything it shows comes from the
 * engine's jobs and data sets; see ui/ for the widgets. */
#include "dg-application.h"

int main(int argc, char **argv)
{
    g_autoptr(DgApplication) app = dg_application_new(G_APPLICATION_DEFAULT_FLAGS);
    g_application_set_option_context_parameter_string(G_APPLICATION(app), "[IMAGE|FOLDER…]");
    g_application_set_option_context_summary(
        G_APPLICATION(app), "Opens a lesion image in the Diagnose view, or a folder as the data set.");
    return g_application_run(G_APPLICATION(app), argc, argv);
}
