import sys; sys.path.insert(0, "/work/main/tests")
from test_explore_browser import *
def test_dbg(server, driver):
    from selenium.webdriver.common.by import By
    driver.get(server + "/explore?q=三名工程"); _idle(driver)
    driver.find_element(By.ID, "trace-input").send_keys("全面改薄")
    driver.find_element(By.ID, "trace-go").click()
    _idle(driver)
    print("STATUS", driver.find_element(By.ID, "status").text)
    print("ERR", driver.execute_script("return window.__pkgLastError"))
