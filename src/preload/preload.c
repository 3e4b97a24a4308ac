/* placeholder */
int drover_preload_placeholder(void);
int drover_preload_placeholder(void)
{
    return 0;
}
